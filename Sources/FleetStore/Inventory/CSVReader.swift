import FleetModel

/// An RFC 4180 reader over the bytes of a whole file.
///
/// Written for fleet rather than taken from a package because the importer needs what the CSV
/// packages here do not give: the physical line each record starts on (a quoted field may span
/// lines), every syntax error reported with its line instead of the first one thrown, and speed
/// on 100,000-row inventories. It accepts a UTF-8 BOM, CRLF or LF line ends, and skips empty lines.
package struct CSVReader {
    package struct Result: Sendable {
        package var records: [CSVRecord]
        package var errors: [CSVSyntaxError]
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    package static func parse(_ bytes: [UInt8]) -> Result {
        var records: [CSVRecord] = []
        let errors = parse(bytes) { fields, line in records.append(CSVRecord(fields: fields, line: line)) }
        return Result(records: records, errors: errors)
    }

    /// Streams each good record to `onRecord` (its fields and first line) without keeping them,
    /// and returns the syntax errors.
    package static func parse(_ bytes: [UInt8], onRecord: ([String], Int) -> Void) -> [CSVSyntaxError] {
        var reader = CSVReader(bytes: bytes)
        while reader.index < bytes.count {
            let byte = bytes[reader.index]
            if byte == quote && reader.field.isEmpty {
                guard reader.quotedField() else { break }
                continue
            }
            switch byte {
            case comma:
                reader.finishField()
                reader.index += 1
            case lf, cr:
                reader.finishRecord(onRecord)
                reader.index += (byte == cr && reader.index + 1 < bytes.count && bytes[reader.index + 1] == lf) ? 2 : 1
                reader.line += 1
                reader.recordLine = reader.line
            case quote:
                reader.fail(line: reader.line, "a \" inside an unquoted field; quote the whole field and double the \"")
                reader.index += 1
            default:
                reader.field.append(byte)
                reader.index += 1
            }
        }
        if !reader.unterminated && (!reader.field.isEmpty || !reader.fields.isEmpty) { reader.finishRecord(onRecord) }
        return reader.errors
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var recordLine = 1
    private var fields: [String] = []
    private var field: [UInt8] = []
    private var recordBroken = false
    private var unterminated = false
    private var errors: [CSVSyntaxError] = []

    private init(bytes: [UInt8]) {
        self.bytes = bytes
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }
    }

    /// Records the first error of the current record; the record is then dropped.
    private mutating func fail(line: Int, _ reason: String) {
        guard !recordBroken else { return }
        errors.append(CSVSyntaxError(line: line, reason: reason))
        recordBroken = true
    }

    private mutating func finishField() {
        if let text = String(validating: field, as: UTF8.self) {
            fields.append(text)
        } else {
            fields.append("")
            fail(line: recordLine, "the row is not valid UTF-8; save the file as UTF-8")
        }
        field.removeAll(keepingCapacity: true)
    }

    private mutating func finishRecord(_ onRecord: ([String], Int) -> Void) {
        finishField()
        let isEmptyLine = fields.count == 1 && fields[0].isEmpty
        if !recordBroken && !isEmptyLine { onRecord(fields, recordLine) }
        fields.removeAll(keepingCapacity: true)
        recordBroken = false
    }

    /// A quoted field: runs to the closing quote; "" is a literal quote. False when the file ends
    /// inside it (nothing after can be read).
    private mutating func quotedField() -> Bool {
        let openingLine = line
        index += 1
        while index < bytes.count {
            let inner = bytes[index]
            if inner == Self.quote {
                if index + 1 < bytes.count, bytes[index + 1] == Self.quote {
                    field.append(Self.quote)
                    index += 2
                    continue
                }
                index += 1
                if index < bytes.count, ![Self.comma, Self.lf, Self.cr].contains(bytes[index]) {
                    fail(
                        line: line,
                        "unexpected text after a closing quote; quote the whole field and double any \" inside it")
                    while index < bytes.count, bytes[index] != Self.lf, bytes[index] != Self.cr { index += 1 }
                }
                return true
            }
            if inner == Self.lf { line += 1 }
            field.append(inner)
            index += 1
        }
        errors.append(
            CSVSyntaxError(line: openingLine, reason: "unterminated quoted field (a \" opened here is never closed)"))
        unterminated = true
        return false
    }
}

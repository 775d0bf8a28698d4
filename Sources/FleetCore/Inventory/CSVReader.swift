/// One record of a CSV file and the physical line it starts on (1-based, the header is line 1).
public struct CSVRecord: Sendable, Equatable {
    public var fields: [String]
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

/// A place where the file is not RFC 4180.
public struct CSVSyntaxError: Sendable, Equatable {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }
}

/// An RFC 4180 reader over the bytes of a whole file.
///
/// Written for fleet rather than taken from a package because the importer needs what the CSV
/// packages here do not give: the physical line each record starts on (a quoted field may span
/// lines), every syntax error reported with its line instead of the first one thrown, and speed
/// on 100,000-row inventories. It accepts a UTF-8 BOM, CRLF or LF line ends, and skips empty lines.
public enum CSVReader {
    public struct Result: Sendable {
        public var records: [CSVRecord]
        public var errors: [CSVSyntaxError]
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    public static func parse(_ bytes: [UInt8]) -> Result {
        var records: [CSVRecord] = []
        let errors = parse(bytes) { fields, line in records.append(CSVRecord(fields: fields, line: line)) }
        return Result(records: records, errors: errors)
    }

    /// Streams each good record to `onRecord` (its fields and first line) without keeping them,
    /// and returns the syntax errors.
    public static func parse(_ bytes: [UInt8], onRecord: ([String], Int) -> Void) -> [CSVSyntaxError] {
        var errors: [CSVSyntaxError] = []
        var index = 0
        let end = bytes.count
        if end >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { index = 3 }

        var line = 1
        var fields: [String] = []
        var field: [UInt8] = []
        var recordLine = 1
        var recordBroken = false

        func finishField() {
            if let text = String(validating: field, as: UTF8.self) {
                fields.append(text)
            } else {
                fields.append("")
                if !recordBroken {
                    errors.append(CSVSyntaxError(line: recordLine, reason: "the row is not valid UTF-8; save the file as UTF-8"))
                    recordBroken = true
                }
            }
            field.removeAll(keepingCapacity: true)
        }

        func finishRecord() {
            finishField()
            let isEmptyLine = fields.count == 1 && fields[0].isEmpty
            if !recordBroken && !isEmptyLine {
                onRecord(fields, recordLine)
            }
            fields.removeAll(keepingCapacity: true)
            recordBroken = false
        }

        /// Skips to the end of the current line after a syntax error, so later rows are still checked.
        func skipRestOfLine() {
            while index < end, bytes[index] != lf, bytes[index] != cr { index += 1 }
        }

        recordLine = line
        while index < end {
            let byte = bytes[index]
            if byte == quote && field.isEmpty {
                // A quoted field: runs to the closing quote; "" is a literal quote.
                let openingLine = line
                index += 1
                var closed = false
                while index < end {
                    let inner = bytes[index]
                    if inner == quote {
                        if index + 1 < end, bytes[index + 1] == quote {
                            field.append(quote)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    if inner == lf { line += 1 }
                    field.append(inner)
                    index += 1
                }
                if !closed {
                    errors.append(CSVSyntaxError(
                        line: openingLine,
                        reason: "unterminated quoted field (a \" opened here is never closed)"))
                    return errors
                }
                if index < end, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                    errors.append(CSVSyntaxError(
                        line: line,
                        reason: "unexpected text after a closing quote; quote the whole field and double any \" inside it"))
                    recordBroken = true
                    skipRestOfLine()
                }
                continue
            }
            switch byte {
            case comma:
                finishField()
                index += 1
            case lf, cr:
                finishRecord()
                index += (byte == cr && index + 1 < end && bytes[index + 1] == lf) ? 2 : 1
                line += 1
                recordLine = line
            case quote:
                if !recordBroken {
                    errors.append(CSVSyntaxError(
                        line: line,
                        reason: "a \" inside an unquoted field; quote the whole field and double the \""))
                    recordBroken = true
                }
                index += 1
            default:
                field.append(byte)
                index += 1
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            finishRecord()
        }
        return errors
    }
}

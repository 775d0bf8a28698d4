import Foundation

/// RFC 4180 cells that a spreadsheet will not run: a cell starting with `=`, `+`, `-` or `@`
/// (or a tab or carriage return, which some spreadsheets skip before one) gets a leading `'`.
package enum CSVCell {
    package static func escape(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

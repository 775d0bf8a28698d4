import FleetModel
import Foundation

/// Small JSON texts written directly: the importer makes two per row and a rollout a PUT body per
/// project, and JSONEncoder would be most of their time.
package enum JSONText {
    package static func array(_ items: [String]) -> String {
        "[" + items.map(string).joined(separator: ",") + "]"
    }

    /// An object; a nil value is written as null (json_patch then removes that key).
    package static func object(keys: [String], values: [String?]) -> String {
        "{"
            + zip(keys, values).map { key, value in string(key) + ":" + (value.map(string) ?? "null") }.joined(
                separator: ",") + "}"
    }

    /// A JSON string as `JSONEncoder` writes it: `"` and `\` escaped, control characters as
    /// `\n`-style or `\u00xx` escapes, everything else (slashes, non-ASCII) as it is.
    package static func string(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            return "\"" + text + "\""
        }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20: out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

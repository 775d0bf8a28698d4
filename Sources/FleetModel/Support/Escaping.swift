extension String {
    /// The text with control characters shown as escapes (`\e`, `\x07`, `\n`…), so a label or a
    /// server's message cannot move the cursor, clear the screen or forge a line of output.
    package var escapingControlCharacters: String {
        guard unicodeScalars.contains(where: { $0.isControl || $0.isBidiControl }) else { return self }
        var out = ""
        for scalar in unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{1B}": out += "\\e"
            case _ where scalar.isBidiControl: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            case _ where scalar.isControl: out += "\\x" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    package func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension Unicode.Scalar {
    /// C0 controls, DEL and the C1 controls: what a terminal may act on.
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) }

    /// The bidirectional controls (embeddings, overrides, isolates, marks): text after one can
    /// be shown reversed, so a label could pass itself off as something else.
    var isBidiControl: Bool {
        (0x202A...0x202E).contains(value) || (0x2066...0x2069).contains(value) || value == 0x200E || value == 0x200F
            || value == 0x061C
    }
}

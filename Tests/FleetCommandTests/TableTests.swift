import FleetModel
import Testing

@testable import fleet

/// Tables keep every label whole and line their columns up by display width.
@Suite struct TableTests {
    static let labels = [
        "Cafe\u{301} e\u{301}e\u{301}", "👩‍👩‍👧‍👦 family", "🏷 tag", "東京本社", "plain",
    ]

    /// The display width of `text` as a terminal shows it.
    static func columns(_ text: Substring) -> Int { text.reduce(0) { $0 + DisplayWidth.of($1) } }

    @Test func everyCellIsWholeAndTheNextColumnStartsAtTheSameDisplayColumn() {
        let rows = [["LABEL", "NEXT"]] + Self.labels.map { [$0, "x"] }

        let lines = Table.render(rows).split(separator: "\n")

        for (line, label) in zip(lines.dropFirst(), Self.labels) {
            #expect(line.hasPrefix(label), "\(line) keeps \(label) whole")
            #expect(line.hasSuffix("x"))
            #expect(Self.columns(line.dropLast()) == Self.columns(lines[0].dropLast(4)), "\(line)")
        }
    }

    @Test func bidiControlsAreEscapedAsControlCharactersAre() {
        #expect("evil\u{202E}txt.exe".escapingControlCharacters == "evil\\u{202E}txt.exe")
        #expect("a\u{2066}b\u{200F}c".escapingControlCharacters == "a\\u{2066}b\\u{200F}c")
        #expect("東京 Café 👩‍👩‍👧‍👦".escapingControlCharacters == "東京 Café 👩‍👩‍👧‍👦")
    }
}

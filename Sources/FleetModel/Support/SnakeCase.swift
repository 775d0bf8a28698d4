/// fleet's two spellings of one name: snake_case in SQLite columns and JSON keys, Swift's
/// camelCase in properties, with the acronyms upper-case (`run_id` is `runID`,
/// `template_sha256` is `templateSHA256`, `api_base` is `apiBase`).
package enum SnakeCase {
    private static let acronyms: Set<Substring> = ["id", "sha256"]

    /// `template_sha256` → `templateSHA256`.
    package static func camel(_ snake: String) -> String {
        let words = snake.split(separator: "_")
        guard let first = words.first else { return snake }
        return String(first)
            + words.dropFirst().map {
                acronyms.contains($0) ? $0.uppercased() : $0.prefix(1).uppercased() + $0.dropFirst()
            }.joined()
    }
}

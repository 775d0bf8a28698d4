/// "Did you mean": the closest of some names to a misspelt one.
package enum Suggestion {
    /// The candidate within `maximum` edits of `name` (comparing without case, `-` and ` ` read as
    /// `_`), the closest first; nil when none is that close.
    package static func closest(to name: String, in candidates: some Sequence<String>, maximum: Int = 2) -> String? {
        let key = normalized(name)
        var best: (name: String, distance: Int)?
        for candidate in candidates where candidate != name {
            let distance = editDistance(key, normalized(candidate))
            if distance <= maximum, distance < (best?.distance ?? .max) { best = (candidate, distance) }
        }
        return best?.name
    }

    static func normalized(_ name: String) -> [Character] {
        Array(name.lowercased().map { $0 == "-" || $0 == " " ? "_" : $0 })
    }

    /// Levenshtein distance, with an adjacent swap counted as one edit.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous) = (previous, current)
        }
        return previous[b.count]
    }
}

import Foundation

/// The report's timeline as inline SVG: a row per space in name order (past 40 spaces, the
/// throttled and the largest; the rest as one), completions per slice of time as bars, requests answered 429 as red marks above.
struct TimelineChart {
    static let slices = 60
    /// Rows of their own at most; past that, the rest share the last.
    static let maxRows = 40
    let bins: [(space: String, completions: [Int], throttled: [Int])]
    let span: (start: Date, end: Date)

    var svg: String {
        var rows = bins
        if rows.count > Self.maxRows {
            // The throttled spaces, then the largest, keep a row of their own; the rest share one.
            let ranked = rows.sorted {
                ($0.throttled.reduce(0, +), $0.completions.reduce(0, +), $1.space)
                    > ($1.throttled.reduce(0, +), $1.completions.reduce(0, +), $0.space)
            }
            let kept = Set(ranked.prefix(Self.maxRows - 1).map(\.space))
            let rest = rows.filter { !kept.contains($0.space) }
            rows = rows.filter { kept.contains($0.space) }
            rows.append(
                (
                    "\(rest.count) other spaces", Self.sum(rest.map(\.completions)), Self.sum(rest.map(\.throttled))
                ))
        }
        let (left, width, rowHeight, top) = (150.0, 780.0, 30.0, 10.0)
        let height = top + Double(rows.count) * rowHeight + 30
        let peak = Double(max(1, rows.flatMap(\.completions).max() ?? 1))
        let slot = width / Double(Self.slices)
        var parts = [
            "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline\" viewBox=\"0 0 \(Int(left + width + 20)) \(Int(height))\" width=\"\(Int(left + width + 20))\" height=\"\(Int(height))\" font-family=\"Helvetica,Arial,sans-serif\" font-size=\"11\">"
        ]
        for (index, row) in rows.enumerated() {
            let base = top + Double(index + 1) * rowHeight - 6
            let total = row.completions.reduce(0, +)
            let throttled = row.throttled.reduce(0, +)
            parts.append(
                "<g data-space=\"\(ChangeReport.escape(row.space))\" data-completions=\"\(total)\" data-throttled=\"\(throttled)\">"
            )
            parts.append(
                "<text x=\"\(Int(left - 8))\" y=\"\(Self.n(base - 6))\" text-anchor=\"end\">\(ChangeReport.escape(row.space))</text>"
            )
            parts.append(
                "<line x1=\"\(Int(left))\" y1=\"\(Self.n(base))\" x2=\"\(Int(left + width))\" y2=\"\(Self.n(base))\" stroke=\"#d5d9e0\"/>"
            )
            for (slice, count) in row.completions.enumerated() where count > 0 {
                let h = (rowHeight - 10) * Double(count) / peak
                parts.append(
                    "<rect x=\"\(Self.n(left + Double(slice) * slot))\" y=\"\(Self.n(base - h))\" width=\"\(Self.n(slot - 1))\" height=\"\(Self.n(h))\" fill=\"#3b6fb6\"/>"
                )
            }
            for (slice, count) in row.throttled.enumerated() where count > 0 {
                parts.append(
                    "<rect x=\"\(Self.n(left + Double(slice) * slot))\" y=\"\(Self.n(base - rowHeight + 8))\" width=\"\(Self.n(slot - 1))\" height=\"3\" fill=\"#d0342c\"><title>\(count) × 429</title></rect>"
                )
            }
            parts.append("</g>")
        }
        let axis = top + Double(rows.count) * rowHeight + 14
        let seconds = span.end.timeIntervalSince(span.start)
        parts.append("<text x=\"\(Int(left))\" y=\"\(Self.n(axis))\">\(Self.clock(span.start))</text>")
        parts.append(
            "<text x=\"\(Int(left + width))\" y=\"\(Self.n(axis))\" text-anchor=\"end\">\(Self.clock(span.end)) (\(String(format: "%.1f", seconds)) s)</text>"
        )
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    private static func sum(_ lists: [[Int]]) -> [Int] {
        lists.reduce(into: [Int](repeating: 0, count: slices)) { total, list in
            for (index, value) in list.enumerated() { total[index] += value }
        }
    }

    private static func n(_ value: Double) -> String {
        String(format: "%.1f", value)
    }

    /// `05:12:03Z`.
    private static func clock(_ date: Date) -> String {
        let stamp = ISO8601DateFormatter().string(from: date)
        return String(stamp.dropFirst(11))
    }
}

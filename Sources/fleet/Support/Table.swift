import FleetModel

/// Left-aligned columns, two spaces apart, lined up by display width (a CJK character or an
/// emoji takes two columns); a cell is never cut.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let width = rows.first?.count else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], DisplayWidth.of(cell)) }
        }
        return rows.map { row in
            var line = ""
            for (column, cell) in row.enumerated() {
                line += cell
                if column < row.count - 1 {
                    line += String(repeating: " ", count: widths[column] - DisplayWidth.of(cell) + 2)
                }
            }
            while line.last == " " { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }
}

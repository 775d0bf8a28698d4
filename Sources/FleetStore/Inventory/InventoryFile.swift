import FleetModel
import Foundation

/// A whole inventory file, validated: every row good, or every bad row listed. Its rows are
/// not kept: they are read again from its bytes as they are written, so an import of 1,000,000
/// rows holds the file and one key a row, not a million rows.
package struct InventoryFile: Sendable {
    package var path: String
    package var variableColumns: [String]
    /// How many projects it lists, and in which spaces.
    package private(set) var count: Int
    package private(set) var spaces: Set<String>
    private let bytes: [UInt8]
    private let header: Header?

    package static let requiredColumns = ["space", "project_id", "token"]
    package static let optionalColumns = ["label", "tags", "enabled"]

    /// Reads and validates `path`. Throws one `FleetError` listing every bad row as `FILE:LINE: reason`.
    /// Reads and validates the inventory at `path` (`-` is stdin).
    package static func load(path: String) throws -> InventoryFile {
        try parse(bytes: try InputFile.bytes(path, what: path == "-" ? "the inventory on stdin" : path), path: path)
    }

    package static func parse(bytes: [UInt8], path: String) throws -> InventoryFile {
        var problems: [(line: Int, reason: String)] = []
        var header: Header?
        var headerRead = false
        var tally = Tally()
        let syntaxErrors = CSVReader.parse(bytes) { fields, line in
            guard let header else {
                // After a bad header, the rows cannot be read: its problems are what to fix.
                if headerRead { return }
                headerRead = true
                switch Header.read(fields) {
                case .success(let read): header = read
                case .failure(let error): problems += error.reasons.map { (line, $0) }
                }
                return
            }
            if Self.isBlank(fields) { return }
            guard header.count == fields.count else {
                problems.append(
                    (
                        line,
                        "the row has \(fields.count) fields but the header has \(header.count); quote fields that contain commas"
                    ))
                return
            }
            switch header.row(fields, line: line) {
            case .success(let row): if let problem = tally.add(row) { problems.append((line, problem)) }
            case .failure(let error): problems.append((line, error.reasons.joined(separator: "; ")))
            }
        }
        problems += syntaxErrors.map { ($0.line, $0.reason) }
        if !headerRead && problems.isEmpty {
            problems.append((1, "the file is empty; the first row must be a header with space,project_id,token"))
        }
        if !problems.isEmpty { throw failure(path: path, problems: problems) }
        return InventoryFile(
            path: path, variableColumns: header?.variableColumns ?? [], count: tally.count, spaces: tally.spaces,
            bytes: bytes, header: header)
    }

    /// The good rows so far: how many, their spaces, and where each project was first listed.
    private struct Tally {
        var count = 0
        var spaces = Set<String>()
        var seen: [RowKey: Int] = [:]

        /// Nil, or why `row` is not a project of its own (a duplicate).
        mutating func add(_ row: InventoryRow) -> String? {
            let key = RowKey(space: row.space, project: row.project)
            if let first = seen[key] {
                return "duplicate of line \(first): project \(row.projectID) in space \(row.space) appears twice"
            }
            seen[key] = row.line
            count += 1
            spaces.insert(row.space)
            return nil
        }
    }

    /// Each row, in file order, read again from the file's bytes (all of them good).
    package func forEachRow(_ body: (InventoryRow) throws -> Void) throws {
        guard let header else { return }
        var failure: (any Error)?
        var headerSkipped = false
        _ = CSVReader.parse(bytes) { fields, line in
            guard failure == nil else { return }
            guard headerSkipped else {
                headerSkipped = true
                return
            }
            guard !Self.isBlank(fields), case .success(let row) = header.row(fields, line: line) else { return }
            do { try body(row) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// A wholly empty row (a spreadsheet's `,,,`) is no project.
    private static func isBlank(_ fields: [String]) -> Bool {
        fields.allSatisfy { $0.allSatisfy { $0 == " " || $0 == "\t" } }
    }

    /// Every row at once, for a file known to be small (the simulator's accounts, tests).
    package var rows: [InventoryRow] {
        var rows: [InventoryRow] = []
        try? forEachRow { rows.append($0) }
        return rows
    }

    struct Reasons: Error { var reasons: [String] }

    /// (space, project_id) as compact values: a 100,000-row file keeps one per row while parsing.
    struct RowKey: Hashable {
        var space: String
        var project: UUID
    }

    /// Where each column is, from the header row.
    struct Header {
        var count: Int
        var space = 0, project = 0, token = 0
        var label: Int?, tags: Int?, enabled: Int?
        var variableColumns: [String] = []
        var variablePositions: [Int] = []
        var names: [String] = []

        static func read(_ fields: [String]) -> Result<Header, Reasons> {
            if fields.count == 1, fields[0].contains(";") {
                return .failure(
                    Reasons(reasons: [
                        "the file is separated by semicolons, not commas; save it as CSV with commas (Excel: CSV UTF-8)"
                    ]))
            }
            let columns = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            let known = requiredColumns + optionalColumns
            var index: [String: Int] = [:]
            var reasons: [String] = []
            var misspelt: Set<String> = []
            for (position, name) in columns.enumerated() {
                if let reason = problem(name, position: position, seen: index[name] != nil, known: known) {
                    reasons.append(reason)
                    if !known.contains(name), let close = Suggestion.closest(to: name, in: known) {
                        misspelt.insert(close)
                    }
                }
                index[name] = index[name] ?? position
            }
            for name in requiredColumns where index[name] == nil && !misspelt.contains(name) {
                reasons.append("missing required column \"\(name)\"; the header must have space, project_id and token")
            }
            guard reasons.isEmpty else { return .failure(Reasons(reasons: reasons)) }
            var header = Header(
                count: columns.count, space: index["space"]!, project: index["project_id"]!, token: index["token"]!,
                label: index["label"], tags: index["tags"], enabled: index["enabled"])
            header.names = columns
            for (position, name) in columns.enumerated() where !known.contains(name) {
                header.variableColumns.append(name)
                header.variablePositions.append(position)
            }
            return .success(header)
        }

        /// What is wrong with one column name of the header, if anything.
        private static func problem(_ name: String, position: Int, seen: Bool, known: [String]) -> String? {
            if name.isEmpty { return "column \(position + 1) of the header has no name" }
            if seen { return "column \"\(name.escapingControlCharacters)\" appears twice in the header" }
            if !known.contains(name), let close = Suggestion.closest(to: name, in: known) {
                return
                    "column \"\(name.escapingControlCharacters)\" looks like a misspelt \(close); did you mean \(close)? (a template variable cannot be named that close to one of fleet's columns)"
            }
            if !known.contains(name) && !Template.isVariableName(name) {
                return
                    "column \"\(name.escapingControlCharacters)\" cannot be a template variable: use letters, digits and _ only, starting with a letter or _"
            }
            return nil
        }

        /// A row's project, or every reason it is not one (a duplicate is the file's to find).
        func row(_ fields: [String], line: Int) -> Result<InventoryRow, Reasons> {
            var reasons: [String] = []
            if let position = fields.firstIndex(where: { $0.utf8.contains { $0 < 0x20 || $0 == 0x7F } }) {
                reasons.append(
                    "the \(names[position].escapingControlCharacters) field holds a control character (a NUL, a line break or an escape); remove it"
                )
            }
            let space = fields[space].trimmedOfSpaces.lowercased()
            if let reason = SpaceName.problem(with: space) { reasons.append(reason) }
            let rawProject = fields[project].trimmedOfSpaces
            let uuid = UUID(uuidString: rawProject)
            if uuid == nil {
                reasons.append("project_id \"\(rawProject)\" is not a UUID (like 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90)")
            }
            let token = fields[token].trimmedOfSpaces
            if token.isEmpty { reasons.append("the token is empty; every project needs its API token") }
            let enabledValue = enabled.flatMap { Self.enabled(fields[$0], reasons: &reasons) }
            guard reasons.isEmpty, let uuid else { return .failure(Reasons(reasons: reasons)) }
            return .success(
                InventoryRow(
                    line: line, space: space, project: uuid, token: token,
                    label: label.map { fields[$0].trimmedOfSpaces },
                    tags: tags.map { Self.tags(fields[$0]) },
                    enabled: enabledValue,
                    variableValues: variablePositions.map { fields[$0].isEmpty ? nil : fields[$0] }))
        }

        /// An `enabled` cell: empty (keep the stored value), true or false.
        private static func enabled(_ cell: String, reasons: inout [String]) -> Bool? {
            switch cell.trimmedOfSpaces.lowercased() {
            case "": return nil
            case "true": return true
            case "false": return false
            case let other:
                reasons.append("enabled \"\(other)\" must be true or false")
                return nil
            }
        }

        /// A `tags` cell: `;`-separated, blanks dropped.
        private static func tags(_ cell: String) -> [String] {
            cell.split(separator: ";").map { String($0).trimmedOfSpaces }.filter { !$0.isEmpty }
        }
    }

    private static func failure(path: String, problems: [(line: Int, reason: String)]) -> FleetError {
        let sorted = problems.sorted { $0.line < $1.line }
        let rows = Set(sorted.map(\.line)).count
        return FleetError(
            "\(path) has \(rows) bad \(rows == 1 ? "row" : "rows"); nothing was imported. Fix \(rows == 1 ? "it" : "them") and run `fleet import` again.",
            details: sorted.map { "\(path):\($0.line): \($0.reason)" })
    }
}

extension String {
    /// `trimmingCharacters(in: .whitespaces)` (tabs and Unicode's space separators), without
    /// Foundation's cost for a cell with nothing to trim: that call was 40% of an import.
    fileprivate var trimmedOfSpaces: String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        guard let first = unicodeScalars.first, let last = unicodeScalars.last, isSpace(first) || isSpace(last) else {
            return self
        }
        return trimmingCharacters(in: .whitespaces)
    }
}

import Foundation

/// One validated row of an inventory CSV. Optional columns the file does not have are `nil`, so
/// a re-import leaves those values as they were.
public struct InventoryRow: Sendable, Equatable {
    public var line: Int
    public var space: String
    public var projectID: String
    public var token: String
    public var label: String?
    public var tags: [String]?
    public var enabled: Bool?
    /// Template variables from the extra columns; `nil` for an empty cell (the variable is removed).
    public var variables: [String: String?]
}

/// A whole inventory file, validated: every row good, or every bad row listed.
public struct InventoryFile: Sendable {
    public var path: String
    public var rows: [InventoryRow]
    public var variableColumns: [String]

    public static let requiredColumns = ["space", "project_id", "token"]
    public static let optionalColumns = ["label", "tags", "enabled"]

    /// Reads and validates `path`. Throws one `FleetError` listing every bad row as `FILE:LINE: reason`.
    public static func load(path: String) throws -> InventoryFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FleetError("cannot read \(path): check that the file exists and is readable.")
        }
        return try parse(bytes: [UInt8](data), path: path)
    }

    public static func parse(bytes: [UInt8], path: String) throws -> InventoryFile {
        let csv = CSVReader.parse(bytes)
        var problems: [(line: Int, reason: String)] = csv.errors.map { ($0.line, $0.reason) }
        guard let header = csv.records.first else {
            throw failure(path: path, problems: problems.isEmpty ? [(1, "the file is empty; the first row must be a header with space,project_id,token")] : problems)
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var index: [String: Int] = [:]
        for (position, name) in columns.enumerated() {
            if name.isEmpty {
                problems.append((header.line, "column \(position + 1) of the header has no name"))
            } else if index[name] != nil {
                problems.append((header.line, "column \"\(name)\" appears twice in the header"))
            } else if !requiredColumns.contains(name) && !optionalColumns.contains(name) && !isVariableName(name) {
                problems.append((header.line, "column \"\(name)\" cannot be a template variable: use letters, digits and _ only, starting with a letter or _"))
            }
            index[name] = position
        }
        for name in requiredColumns where index[name] == nil {
            problems.append((header.line, "missing required column \"\(name)\"; the header must have space, project_id and token"))
        }
        if problems.contains(where: { $0.line == header.line }) {
            throw failure(path: path, problems: problems)
        }
        let variableColumns = columns.filter { !requiredColumns.contains($0) && !optionalColumns.contains($0) }
        let variablePositions = variableColumns.map { ($0, index[$0]!) }
        let spaceAt = index["space"]!, projectAt = index["project_id"]!, tokenAt = index["token"]!
        let labelAt = index["label"], tagsAt = index["tags"], enabledAt = index["enabled"]

        var rows: [InventoryRow] = []
        rows.reserveCapacity(csv.records.count)
        var seen: [String: Int] = [:]
        for record in csv.records.dropFirst() {
            let fields = record.fields
            guard fields.count == columns.count else {
                problems.append((record.line, "the row has \(fields.count) fields but the header has \(columns.count); quote fields that contain commas"))
                continue
            }
            var reasons: [String] = []
            let space = fields[spaceAt].trimmingCharacters(in: .whitespaces).lowercased()
            if let reason = SpaceName.problem(with: space) { reasons.append(reason) }
            let rawProject = fields[projectAt].trimmingCharacters(in: .whitespaces)
            let projectID = UUID(uuidString: rawProject)?.uuidString.lowercased()
            if projectID == nil {
                reasons.append("project_id \"\(rawProject)\" is not a UUID (like 4f1c2a8e-9b7d-4c3e-a1f0-2d5e6b7c8a90)")
            }
            let token = fields[tokenAt].trimmingCharacters(in: .whitespaces)
            if token.isEmpty { reasons.append("the token is empty; every project needs its API token") }
            var enabled: Bool?
            if let enabledAt {
                switch fields[enabledAt].trimmingCharacters(in: .whitespaces).lowercased() {
                case "": enabled = nil
                case "true": enabled = true
                case "false": enabled = false
                case let other: reasons.append("enabled \"\(other)\" must be true or false")
                }
            }
            if let projectID, reasons.isEmpty {
                let key = space + "/" + projectID
                if let first = seen[key] {
                    reasons.append("duplicate of line \(first): project \(projectID) in space \(space) appears twice")
                } else {
                    seen[key] = record.line
                }
            }
            guard reasons.isEmpty, let projectID else {
                problems.append((record.line, reasons.joined(separator: "; ")))
                continue
            }
            var variables: [String: String?] = [:]
            for (name, position) in variablePositions {
                let value = fields[position]
                variables[name] = value.isEmpty ? String?.none : value
            }
            rows.append(InventoryRow(
                line: record.line,
                space: space,
                projectID: projectID,
                token: token,
                label: labelAt.map { fields[$0].trimmingCharacters(in: .whitespaces) },
                tags: tagsAt.map { tagsField in
                    fields[tagsField].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                },
                enabled: enabled,
                variables: variables))
        }
        if !problems.isEmpty { throw failure(path: path, problems: problems) }
        return InventoryFile(path: path, rows: rows, variableColumns: variableColumns)
    }

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    private static func failure(path: String, problems: [(line: Int, reason: String)]) -> FleetError {
        let sorted = problems.sorted { $0.line < $1.line }
        let rows = Set(sorted.map(\.line)).count
        return FleetError(
            "\(path) has \(rows) bad \(rows == 1 ? "row" : "rows"); nothing was imported. Fix \(rows == 1 ? "it" : "them") and run `fleet import` again.",
            details: sorted.map { "\(path):\($0.line): \($0.reason)" })
    }
}

/// A SignalWire space name: one DNS label, since it becomes `{space}.signalwire.com`.
public enum SpaceName {
    public static func problem(with name: String) -> String? {
        let bytes = Array(name.utf8)
        let shown = "space \"\(name)\""
        if bytes.isEmpty { return "the space is empty" }
        if bytes.count > 63 { return "\(shown) is \(bytes.count) characters; a space name is at most 63" }
        let allowed = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        if !allowed || bytes.first == 0x2D || bytes.last == 0x2D {
            return "\(shown) is not a space name: use letters, digits and inner hyphens only (the part before .signalwire.com)"
        }
        return nil
    }
}

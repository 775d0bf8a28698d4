import Foundation
import GRDB

/// A project of the inventory with its space's name, as commands use it.
public struct Project: Sendable, Equatable, Codable, FetchableRecord {
    /// The row id in `projects` (tasks refer to it).
    public var id: Int64
    public var space: String
    public var projectID: String
    /// As stored: plain, or sealed with FLEET_KEY. Open it with `TokenVault.open` for a request only.
    public var storedToken: String
    public var label: String
    public var tags: [String]
    public var variables: [String: String]
    public var enabled: Bool

    public init(row: Row) throws {
        id = row["id"]
        space = row["space"]
        projectID = row["project_id"]
        storedToken = row["token"]
        label = row["label"]
        enabled = row["enabled"]
        tags = try Self.stored(row["tags"], column: "tags", projectID: projectID) { $0.strings }
        variables = try Self.stored(row["variables"], column: "variables", projectID: projectID) { value in
            guard case .object(let object) = value else { return nil }
            let texts = object.compactMapValues(\.string)
            return texts.count == object.count ? texts : nil
        }
    }

    /// A JSON column of the project's row read as `read` makes it (nil: not the expected shape).
    /// Read with fleet's own JSON reader: a rollout reads every selected project at its start.
    private static func stored<T>(_ text: String, column: String, projectID: String, _ read: (JSONValue) -> T?) throws -> T {
        guard let value = try? JSONParser.parse(Data(text.utf8)), let result = read(value) else {
            throw FleetError("the \(column) of project \(projectID) in the database are not what fleet wrote; re-import the project.")
        }
        return result
    }

    /// The columns `init(row:)` reads, for queries that join projects (`p`) and spaces (`s`).
    static let columns = "p.id, s.name AS space, p.project_id, p.token, p.label, p.tags, p.variables, p.enabled"

    /// `acme 4f1c2a8e-… Acme HQ`, with the label's control characters escaped.
    public var heading: String {
        "\(space) \(projectID)\(label.isEmpty ? "" : " \(label.escapingControlCharacters)")"
    }
}

/// Which projects a command works on: none given means every enabled project. Spaces and
/// projects given are alternatives (any of them); tags given must all be carried, so adding a
/// selection flag never widens a selection.
public struct Selection: Sendable, Codable, Equatable {
    public var spaces: [String]
    public var tags: [String]
    public var projectIDs: [String]
    /// `fleet projects` lists disabled projects too; plan and rollout take enabled ones only.
    public var includeDisabled: Bool

    public init(spaces: [String] = [], tags: [String] = [], projectIDs: [String] = [], includeDisabled: Bool = false) {
        self.spaces = spaces.map { $0.lowercased() }
        self.tags = tags
        self.projectIDs = projectIDs.map { $0.lowercased() }
        self.includeDisabled = includeDisabled
    }

    public var isEmpty: Bool { spaces.isEmpty && tags.isEmpty && projectIDs.isEmpty }

    func sql() -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if !includeDisabled { clauses.append("p.enabled = 1") }
        if !spaces.isEmpty {
            clauses.append("s.name IN (\(databaseQuestionMarks(count: spaces.count)))")
            arguments += StatementArguments(spaces)
        }
        for tag in Set(tags).sorted() {
            clauses.append("EXISTS (SELECT 1 FROM json_each(p.tags) WHERE json_each.value = ?)")
            arguments += [tag]
        }
        if !projectIDs.isEmpty {
            clauses.append("p.project_id IN (\(databaseQuestionMarks(count: projectIDs.count)))")
            arguments += StatementArguments(projectIDs)
        }
        let whereClause = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return ("SELECT \(Project.columns) FROM projects p JOIN spaces s ON s.id = p.space_id" + whereClause + " ORDER BY s.name, p.project_id",
                arguments)
    }
}

/// What `fleet import` did.
public struct ImportSummary: Sendable, Equatable {
    public var projects: Int
    public var spaces: Int
    public var new: Int
    public var updated: Int

    public var sentence: String {
        "imported \(projects) \(projects == 1 ? "project" : "projects") in \(spaces) \(spaces == 1 ? "space" : "spaces"): \(new) new, \(updated) updated"
    }
}

extension FleetDatabase {
    /// Upserts every row of `file` in one transaction: all or nothing.
    public func importInventory(_ file: InventoryFile, vault: TokenVault, now: Date) throws -> ImportSummary {
        let now = Self.timestamp(now)
        return try writer.write { db in
            try vault.checkImport(into: path, sealed: try String.fetchOne(db, sql: "SELECT token FROM projects WHERE token LIKE 'aesgcm:%' LIMIT 1"),
                                  plain: try Int.fetchOne(db, sql: "SELECT count(*) FROM projects WHERE token NOT LIKE 'aesgcm:%'") ?? 0)
            var spaceIDs: [String: Int64] = [:]
            for space in Set(file.rows.map(\.space)) {
                try db.execute(sql: "INSERT INTO spaces (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                               arguments: [space, now])
                spaceIDs[space] = try Int64.fetchOne(db, sql: "SELECT id FROM spaces WHERE name = ?", arguments: [space])
            }
            let exists = try db.cachedStatement(sql: "SELECT 1 FROM projects WHERE space_id = ? AND project_id = ?")
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO projects (space_id, project_id, token, label, tags, variables, enabled, created_at, updated_at)
                VALUES (?1, ?2, ?3, coalesce(?4, ''), coalesce(?5, '[]'), json_patch('{}', ?6), coalesce(?7, 1), ?8, ?8)
                ON CONFLICT (space_id, project_id) DO UPDATE SET
                    token = excluded.token,
                    label = coalesce(?4, projects.label),
                    tags = coalesce(?5, projects.tags),
                    variables = json_patch(projects.variables, ?6),
                    enabled = coalesce(?7, projects.enabled),
                    updated_at = ?8
                """)
            var new = 0
            for row in file.rows {
                let spaceID = spaceIDs[row.space]!
                if try Bool.fetchOne(exists, arguments: [spaceID, row.projectID]) == nil { new += 1 }
                try upsert.execute(arguments: [
                    spaceID, row.projectID, try vault.seal(row.token), row.label, row.tags.map(JSONText.array),
                    JSONText.object(keys: file.variableColumns, values: row.variableValues), row.enabled, now,
                ])
            }
            return ImportSummary(projects: file.rows.count, spaces: spaceIDs.count, new: new, updated: file.rows.count - new)
        }
    }

    public func projects(_ selection: Selection) throws -> [Project] {
        let (sql, arguments) = selection.sql()
        return try writer.read { db in try Project.fetchAll(db, sql: sql, arguments: arguments) }
    }
}

/// Small JSON texts written directly: the importer makes two per row and a rollout a PUT body per
/// project, and JSONEncoder would be most of their time.
enum JSONText {
    static func array(_ items: [String]) -> String {
        "[" + items.map(string).joined(separator: ",") + "]"
    }

    /// An object; a nil value is written as null (json_patch then removes that key).
    static func object(keys: [String], values: [String?]) -> String {
        "{" + zip(keys, values).map { key, value in string(key) + ":" + (value.map(string) ?? "null") }.joined(separator: ",") + "}"
    }

    /// A JSON string as `JSONEncoder` writes it: `"` and `\` escaped, control characters as
    /// `\n`-style or `\u00xx` escapes, everything else (slashes, non-ASCII) as it is.
    static func string(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return "\"" + text + "\"" }
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

import FleetModel
import Foundation
import GRDB

/// A project is read from its row joined with its space's: the columns of `columns`, in their
/// order, from `offset` on (read by position: a rollout reads every selected project at its start).
extension Project: FetchableRecord {
    package init(row: Row) throws {
        try self.init(row: row, at: 0)
    }

    init(row: Row, at offset: Int) throws {
        let projectID: String = row[offset + 2]
        let tags = try Self.stored(row[offset + 5], empty: "[]", [], column: "tags", projectID: projectID) {
            $0.strings
        }
        let variables: [String: String] = try Self.stored(
            row[offset + 6], empty: "{}", [:], column: "variables", projectID: projectID
        ) { value in
            guard case .object(let object) = value else { return nil }
            let texts = object.compactMapValues(\.string)
            return texts.count == object.count ? texts : nil
        }
        self.init(
            id: row[offset], space: row[offset + 1], projectID: projectID, storedToken: row[offset + 3],
            label: row[offset + 4], tags: tags, variables: variables, enabled: row[offset + 7])
    }

    /// A JSON column of the project's row read as `read` makes it (nil: not the expected shape);
    /// `empty`, the text most projects hold, is `none` without reading it.
    private static func stored<T>(
        _ text: String, empty: String, _ none: T, column: String, projectID: String, _ read: (JSONValue) -> T?
    ) throws -> T {
        if text == empty { return none }
        guard let value = try? JSONParser.parse(Data(text.utf8)), let result = read(value) else {
            throw FleetError(
                "the \(column) of project \(projectID) in the database are not what fleet wrote; re-import the project."
            )
        }
        return result
    }

    /// The columns `init(row:at:)` reads, in its order, for queries that join projects (`p`)
    /// and spaces (`s`).
    static let columns = "p.id, s.name AS space, p.project_id, p.token, p.label, p.tags, p.variables, p.enabled"
}

extension Selection {
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
            clauses.append(Self.named)
            arguments += Self.names(projectIDs)
        }
        if !excludedSpaces.isEmpty {
            clauses.append("s.name NOT IN (\(databaseQuestionMarks(count: excludedSpaces.count)))")
            arguments += StatementArguments(excludedSpaces)
        }
        if !excludedTags.isEmpty {
            clauses.append(
                "NOT EXISTS (SELECT 1 FROM json_each(p.tags) WHERE json_each.value IN (\(databaseQuestionMarks(count: excludedTags.count))))"
            )
            arguments += StatementArguments(excludedTags)
        }
        if !excludedProjectIDs.isEmpty {
            clauses.append("NOT " + Self.named)
            arguments += Self.names(excludedProjectIDs)
        }
        let whereClause = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return (
            "SELECT \(Project.columns) FROM projects p JOIN spaces s ON s.id = p.space_id" + whereClause
                + " ORDER BY s.name, p.project_id",
            arguments
        )
    }

    /// A project named in a list by its UUID, in any space, or by `SPACE/UUID`, in that space
    /// only. The list is a JSON array, so a ticket's file of any length binds the same two
    /// parameters (SQLite caps a statement's parameters, at 32,766 by default).
    private static let named = """
        (p.project_id IN (SELECT value FROM json_each(?)) OR s.name || '/' || p.project_id IN (SELECT value FROM json_each(?)))
        """

    private static func names(_ list: [String]) -> StatementArguments {
        let array = JSONText.array(list)
        return [array, array]
    }
}

extension FleetDatabase {
    /// Upserts every row of `file` in one transaction: all or nothing. Raw SQL, one prepared
    /// statement: an import of 1,000,000 rows is a hot path, and `json_patch` keeps the variables
    /// a file leaves out, which GRDB's upsert cannot say. Each row is counted against its stored
    /// project, read as it goes (an import holds no row of the file nor of the inventory).
    package func importInventory(_ file: InventoryFile, vault: TokenVault, now: Date) throws -> ImportSummary {
        let now = Self.timestamp(now)
        return try writer.write { db in
            let stored = try storedProject(vault: vault, db)
            let spaceIDs = try Self.upsertSpaces(file.spaces, now: now, db)
            let upsert = try db.cachedStatement(
                sql: """
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
            return try ImportSummary(file, vault: vault, stored: stored) { row in
                try upsert.execute(arguments: [
                    spaceIDs[row.space]!, row.projectID, try vault.seal(row.token), row.label,
                    row.tags.map(JSONText.array),
                    JSONText.object(keys: file.variableColumns, values: row.variableValues),
                    row.enabled, now,
                ])
            }
        }
    }

    package func previewImport(_ file: InventoryFile, vault: TokenVault) throws -> ImportSummary {
        try writer.read { db in try ImportSummary(file, vault: vault, stored: try storedProject(vault: vault, db)) }
    }

    /// Refuses a vault that does not fit the stored tokens, then finds a row's stored project
    /// (nothing to look up in an empty inventory).
    private func storedProject(vault: TokenVault, _ db: Database) throws -> (InventoryRow) throws -> Project? {
        try vault.checkImport(
            into: path,
            sealed: try String.fetchOne(db, sql: "SELECT token FROM projects WHERE token LIKE 'aesgcm:%' LIMIT 1"),
            plain: try Int.fetchOne(db, sql: "SELECT count(*) FROM projects WHERE token NOT LIKE 'aesgcm:%'") ?? 0)
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM projects)") == true else { return { _ in nil } }
        let lookup = try db.cachedStatement(
            sql: """
                SELECT \(Project.columns) FROM projects p JOIN spaces s ON s.id = p.space_id
                WHERE s.name = ? AND p.project_id = ?
                """)
        return { row in try Project.fetchOne(lookup, arguments: [row.space, row.projectID]) }
    }

    /// The row id of each space, inserted if new.
    private static func upsertSpaces(_ names: Set<String>, now: String, _ db: Database) throws -> [String: Int64] {
        var spaceIDs: [String: Int64] = [:]
        for space in names {
            try db.execute(
                sql: "INSERT INTO spaces (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [space, now])
            spaceIDs[space] = try Int64.fetchOne(db, sql: "SELECT id FROM spaces WHERE name = ?", arguments: [space])
        }
        return spaceIDs
    }

    /// Refuses a selection value that matches nothing in the inventory (a space, a tag no
    /// project carries, a project), with the closest existing one: a typo never silently selects
    /// less than meant.
    package func checkMatches(_ selection: Selection) throws {
        guard !selection.isEmpty else { return }
        // The names alone, not whole projects: a selection is checked before every plan and rollout.
        let tagged = !selection.tags.isEmpty || !selection.excludedTags.isEmpty
        // A project named `SPACE/UUID` was found in the inventory as its line or label was read.
        let (projectIDs, excludedProjectIDs) = (
            selection.projectIDs.filter { !$0.contains("/") }, selection.excludedProjectIDs.filter { !$0.contains("/") }
        )
        let named = !projectIDs.isEmpty || !excludedProjectIDs.isEmpty
        let (spaces, tags, ids) = try writer.read { db in
            (
                try String.fetchSet(db, sql: "SELECT name FROM spaces"),
                tagged
                    ? try String.fetchSet(db, sql: "SELECT DISTINCT j.value FROM projects, json_each(projects.tags) j")
                    : [],
                named ? try String.fetchSet(db, sql: "SELECT project_id FROM projects") : []
            )
        }
        let checks: [(option: String, values: [String], known: Set<String>, what: String)] = [
            ("--space", selection.spaces, spaces, "space"), ("--tag", selection.tags, tags, "project's tag"),
            ("--project", projectIDs, ids, "project"),
            ("--exclude-space", selection.excludedSpaces, spaces, "space"),
            ("--exclude-tag", selection.excludedTags, tags, "project's tag"),
            ("--exclude-project", excludedProjectIDs, ids, "project"),
        ]
        for check in checks {
            for value in check.values where !check.known.contains(value) {
                let close = Suggestion.closest(to: value, in: check.known).map { "; did you mean \($0)?" } ?? ""
                throw FleetError.usage(
                    "\(check.option) \(value) matches no \(check.what) in \(path)\(close)"
                        + (close.isEmpty ? "; `\(hint("projects"))` lists the inventory." : ""))
            }
        }
    }

    /// How many projects `selection` has.
    package func count(_ selection: Selection) throws -> Int {
        let (sql, arguments) = selection.sql()
        return try writer.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(sql))", arguments: arguments) ?? 0
        }
    }

    package func projects(_ selection: Selection) throws -> [Project] {
        let (sql, arguments) = selection.sql()
        return try writer.read { db in try Project.fetchAll(db, sql: sql, arguments: arguments) }
    }
}

extension FleetDatabase {
    /// `selection` with the projects operators named by label or in a file: each of `excluded`
    /// (a UUID, `SPACE/UUID` or unique label) added to its exclusions, each line of `file` to its
    /// projects. Every line that names no project, several, or a disabled one is reported as
    /// `FILE:LINE`, and nothing is selected.
    package func selection(_ selection: Selection, excluding excluded: [String], from file: TargetFile?) throws
        -> Selection
    {
        var selection = selection
        let byUUID = excluded.filter { UUID(uuidString: $0) != nil }
        selection.excludedProjectIDs += byUUID.map { $0.lowercased() }
        let labelled = excluded.filter { UUID(uuidString: $0) == nil }
        guard !labelled.isEmpty || file != nil else { return selection }
        let directory = try directory()
        for name in labelled {
            switch directory.project(name) {
            case .success(let project): selection.excludedProjectIDs.append(project.spaceAndID)
            case .failure(let unresolved):
                let text = unresolved.text(in: path)
                throw FleetError.usage(
                    "--exclude-project \(name.escapingControlCharacters) \(text)"
                        + (text.hasSuffix("?") ? "" : "; `\(hint("projects"))` lists the inventory."))
            }
        }
        if let file {
            selection.projectIDs += try projectIDs(in: file, directory, includeDisabled: selection.includeDisabled)
        }
        return selection
    }

    /// The project ids of the lines of `file`; every line that names no project, several, or a
    /// disabled one (unless `includeDisabled`) is reported.
    private func projectIDs(in file: TargetFile, _ directory: ProjectDirectory, includeDisabled: Bool) throws
        -> [String]
    {
        var ids: [String] = []
        var problems: [String] = []
        for line in file.lines {
            switch directory.project(line.name) {
            case .success(let project) where project.enabled || includeDisabled:
                ids.append(project.spaceAndID)
            case .success(let project):
                problems.append(
                    "\(file.path):\(line.number): \(project.heading) is disabled; enable it in the inventory or take the line out."
                )
            case .failure(let unresolved):
                let text = unresolved.text(in: path)
                problems.append(
                    "\(file.path):\(line.number): \(line.name.escapingControlCharacters) \(text)\(text.hasSuffix("?") ? "" : ".")"
                )
            }
        }
        if !problems.isEmpty {
            throw FleetError(
                problems.count == 1
                    ? "1 line of \(file.path) names no project fleet can select; correct it and run again. Nothing was sent."
                    : "\(problems.count) lines of \(file.path) name no project fleet can select; correct them and run again. Nothing was sent.",
                details: problems)
        }
        return ids
    }
}

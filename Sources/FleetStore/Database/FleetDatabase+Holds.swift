import FleetModel
import Foundation
import GRDB

extension FleetDatabase {
    /// Holds `fields` of `project` (a field held already takes the new reason and end).
    package func hold(
        _ project: Project, fields: [ProfileField], reason: String, by holder: Operator, now: Date, until: Date?
    ) throws {
        let now = Self.timestamp(now)
        let until = until.map(Self.timestamp)
        try writer.write { db in
            for field in fields {
                try db.execute(
                    sql: """
                        INSERT INTO holds (project_ref, field, reason, held_by, held_at, until) VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT (project_ref, field) DO UPDATE SET
                            reason = excluded.reason, held_by = excluded.held_by, held_at = excluded.held_at,
                            until = excluded.until
                        """,
                    arguments: [project.id, field.key, reason, holder.name, now, until])
            }
        }
    }

    /// Ends the holds of `project` on `fields` (all of them when nil); the holds ended.
    package func unhold(_ project: Project, fields: [ProfileField]?) throws -> [Hold] {
        try writer.write { db in
            let ended = try Self.holds(db, project: project.id).filter { fields?.contains($0.field) ?? true }
            for hold in ended {
                try db.execute(
                    sql: "DELETE FROM holds WHERE project_ref = ? AND field = ?",
                    arguments: [project.id, hold.field.key])
            }
            return ended
        }
    }

    /// Every hold, lapsed ones too, by space, project and field.
    package func holds() throws -> [Hold] {
        try writer.read { db in try Self.holds(db, project: nil) }
    }

    private static func holds(_ db: Database, project: Int64?) throws -> [Hold] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT h.project_ref, s.name, p.project_id, p.label, h.field, h.reason, h.held_by, h.held_at, h.until
                FROM holds h JOIN projects p ON p.id = h.project_ref JOIN spaces s ON s.id = p.space_id
                \(project == nil ? "" : "WHERE h.project_ref = ?")
                ORDER BY s.name, p.project_id, h.field
                """,
            arguments: project.map { [$0] } ?? [])
        return try rows.map { row in
            let field: String = row[4]
            let heldAt: String = row[7]
            let until: String? = row[8]
            guard let field = ProfileField(rawValue: field), let at = date(from: heldAt),
                until.map({ date(from: $0) != nil }) ?? true
            else { throw FleetError.io("a hold in the database is not what fleet wrote; end it with `fleet unhold`.") }
            return Hold(
                projectRef: row[0], space: row[1], projectID: row[2], label: row[3], field: field, reason: row[5],
                heldBy: row[6], heldAt: at, until: until.flatMap(date(from:)))
        }
    }
}

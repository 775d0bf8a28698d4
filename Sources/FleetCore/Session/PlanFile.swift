import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// A saved plan (`fleet plan --out`): what a rollout would write, project by project, with what
/// it read, so `fleet rollout --plan` writes exactly what was reviewed. Its SHA-256 covers
/// everything in it, so an edited plan is refused; so is one over 24 hours old, or one made
/// against another API base.
package struct PlanFile: Sendable, Equatable {
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    package struct Entry: Sendable, Equatable, Codable {
        package var space: String
        package var project_id: String
        package var label: String
        /// The profile the plan read.
        package var read: SipProfile
        /// The whole writable profile the rollout would write.
        package var write: SipProfile
    }

    /// Everything the SHA-256 covers.
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    package struct Body: Sendable, Equatable, Codable {
        package var fleet_plan = 1
        package var created_at: String
        /// The identity of the database the plan was made on (absent in plans of older fleets).
        package var database_id: String?
        package var api_base: String
        package var template_name: String
        package var template: String
        package var template_sha256: String
        package var projects: [Entry]
        /// The holds in effect on the selected projects when the plan was made (absent in plans
        /// of older fleets).
        package var holds: [HeldField]?
    }

    package let body: Body
    package let sha256: String
    /// The body as the file holds it: keys sorted, one line, so its digest is stable.
    private let canonical: String

    package static let maxAge: TimeInterval = 24 * 3600

    package init(body: Body) throws {
        self.body = body
        canonical = try ReportJSON.encode(body)
        sha256 = SHA256.hash(data: Data(canonical.utf8)).hex
    }

    /// A plan is applied only to the database it was made on, and names each project once.
    package func check(database: FleetDatabase) throws {
        guard body.database_id == (try database.identity()) else {
            throw FleetError(
                "the plan was made on another database than \(database.path) (or by an older fleet); its projects and profiles were read there. Make a new plan with `\(database.hint("plan \(ShellWord.quote(body.template_name)) --out plan.json"))`."
            )
        }
        var seen: Set<String> = []
        for entry in body.projects where !seen.insert("\(entry.space)/\(entry.project_id)").inserted {
            throw FleetError(
                "the plan names project \(entry.project_id) (space \(entry.space)) twice; fleet writes a plan only as `fleet plan` made it. Make a new plan with `\(database.hint("plan \(ShellWord.quote(body.template_name)) --out plan.json"))`."
            )
        }
    }

    /// The file's text: the body's fields and its `sha256`.
    package var text: String {
        String(canonical.dropLast()) + ",\"sha256\":\"\(sha256)\"}\n"
    }

    /// Reads and checks a plan file: its digest and its age, and that an API base given (by flag
    /// or environment) is the one the plan was made against; without one, the plan's is used.
    package static func load(path: String, apiBase given: APIBase?, now: Date) throws -> PlanFile {
        let data = Data(try InputFile.bytes(path, what: "the plan \(path)"))
        struct Stored: Decodable { var sha256: String }
        guard let stored = try? JSONDecoder().decode(Stored.self, from: data),
            let body = try? JSONDecoder().decode(Body.self, from: data)
        else {
            throw FleetError("\(path) is not a fleet plan; make one with `fleet plan TEMPLATE.json --out \(path)`.")
        }
        let plan = try PlanFile(body: body)
        guard plan.sha256 == stored.sha256 else {
            throw FleetError(
                "\(path) was changed after fleet wrote it (its SHA-256 does not match); a plan is applied only as it was reviewed. Make a new one with `fleet plan TEMPLATE.json --out \(path)`."
            )
        }
        guard let created = FleetDatabase.date(from: body.created_at), now.timeIntervalSince(created) <= maxAge else {
            throw FleetError(
                "\(path) was made at \(body.created_at), over 24 hours ago; profiles may have changed since. Make a new plan with `fleet plan TEMPLATE.json --out \(path)`."
            )
        }
        if let given, body.api_base != given.template {
            throw FleetError(
                "\(path) was made against \(body.api_base), but --api-base or FLEET_API_BASE says \(given.template); unset it (or give the plan's), or make a new plan.",
                status: .usage)
        }
        return plan
    }
}

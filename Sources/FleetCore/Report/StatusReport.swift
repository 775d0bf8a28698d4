import Foundation
import GRDB

/// `fleet status`: a run, its counts, and every project's outcome, read from the database (so it
/// works while another process is executing the run). JSON keys are SPEC.md's schema.
public struct StatusReport: Sendable, Encodable {
    public struct RunInfo: Sendable, Encodable {
        public var id: Int64
        public var kind: String
        public var template_sha256: String
        public var state: String
        public var started_at: String
        public var finished_at: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(kind, forKey: .kind)
            try container.encode(template_sha256, forKey: .template_sha256)
            try container.encode(state, forKey: .state)
            try container.encode(started_at, forKey: .started_at)
            try container.encode(finished_at, forKey: .finished_at)
        }

        enum CodingKeys: String, CodingKey { case id, kind, template_sha256, state, started_at, finished_at }
    }

    public struct Counts: Sendable, Encodable, Equatable {
        public var total = 0
        public var succeeded = 0
        public var unchanged = 0
        public var failed = 0
        public var pending = 0
        public var running = 0

        mutating func add(_ count: Int, in state: String) {
            total += count
            switch TaskState(rawValue: state) {
            case .succeeded: succeeded += count
            case .unchanged: unchanged += count
            case .failed: failed += count
            case .running: running += count
            case .pending, nil: pending += count
            }
        }

        /// A task that a dead or finished execution left `running` is pending for the operator.
        mutating func settle(runState: RunState) {
            guard runState != .running else { return }
            pending += running
            running = 0
        }
    }

    public struct ProjectEntry: Sendable, Encodable {
        public var space: String
        public var project_id: String
        public var label: String
        public var status: String
        public var attempts: Int
        public var http_status: Int?
        public var error_kind: String?
        public var error: String?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(space, forKey: .space)
            try container.encode(project_id, forKey: .project_id)
            try container.encode(label, forKey: .label)
            try container.encode(status, forKey: .status)
            try container.encode(attempts, forKey: .attempts)
            try container.encode(http_status, forKey: .http_status)
            try container.encode(error_kind, forKey: .error_kind)
            try container.encode(error, forKey: .error)
        }

        enum CodingKeys: String, CodingKey { case space, project_id, label, status, attempts, http_status, error_kind, error }
    }

    public var run: RunInfo
    public var counts: Counts
    public var projects: [ProjectEntry]

    /// Not in the JSON: for the text header.
    public var templateName: String
    public var haltReason: String?
    public var rollbackOf: Int64?
    public var requests: Int
    /// Failed attempts by error kind (most of them retried), for the text report.
    public var failedAttempts: [(kind: String, count: Int)]

    enum CodingKeys: String, CodingKey { case run, counts, projects }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(run, forKey: .run)
        try container.encode(counts, forKey: .counts)
        try container.encode(projects, forKey: .projects)
    }

    /// Reads the report of `run`; with `failedOnly`, `projects` holds the failed ones only.
    public static func load(_ run: Run, from database: FleetDatabase, failedOnly: Bool = false) throws -> StatusReport {
        let state = database.effectiveState(of: run)
        return try database.writer.read { db in
            var counts = Counts()
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM tasks WHERE run_id = ? GROUP BY state", arguments: [run.id]) {
                counts.add(row["n"], in: row["state"])
            }
            counts.settle(runState: state)
            let requests = try Int.fetchOne(db, sql: "SELECT coalesce(sum(attempts), 0) FROM tasks WHERE run_id = ?", arguments: [run.id]) ?? 0
            let failedAttempts = try Row.fetchAll(db, sql: """
                SELECT a.error_kind, count(*) AS n FROM tasks t JOIN attempts a ON a.task_id = t.id
                WHERE t.run_id = ? AND a.error_kind IS NOT NULL GROUP BY a.error_kind ORDER BY n DESC, a.error_kind
                """, arguments: [run.id]).map { (kind: $0["error_kind"] as String, count: $0["n"] as Int) }
            let filter = failedOnly ? " AND t.state = 'failed'" : ""
            let rows = try Row.fetchCursor(db, sql: """
                SELECT s.name, p.project_id, p.label, t.state, t.attempts, t.http_status, t.error_kind, t.error
                FROM tasks t JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id
                WHERE t.run_id = ?\(filter) ORDER BY t.position
                """, arguments: [run.id])
            var projects: [ProjectEntry] = []
            projects.reserveCapacity(failedOnly ? counts.failed : counts.total)
            while let row = try rows.next() {
                var status: String = row[3]
                if status == TaskState.running.rawValue && state != .running { status = TaskState.pending.rawValue }
                projects.append(ProjectEntry(space: row[0], project_id: row[1], label: row[2], status: status, attempts: row[4],
                                             http_status: row[5], error_kind: row[6], error: row[7]))
            }
            return StatusReport(
                run: RunInfo(id: run.id, kind: run.kind.rawValue, template_sha256: run.templateSHA256, state: state.rawValue,
                             started_at: run.startedAt, finished_at: run.finishedAt),
                counts: counts, projects: projects, templateName: run.templateName, haltReason: run.haltReason,
                rollbackOf: run.rollbackOf, requests: requests, failedAttempts: failedAttempts)
        }
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// The text report: header, counts, throughput, failures grouped by kind and message with
    /// their projects, and the command that reruns them. `rerun` is that command's prefix
    /// (`fleet` or `fleet --db PATH`).
    public func text(rerun: String, now: Date = Date(), projectsPerGroup: Int? = 10) -> String {
        var lines: [String] = []
        let what = rollbackOf.map { "rollback of run \($0)" } ?? "rollout of \(templateName)"
        lines.append("run \(run.id): \(what) (template sha256 \(run.template_sha256.prefix(12))), \(run.state)")
        let started = FleetDatabase.date(from: run.started_at)
        let ended = run.finished_at.flatMap(FleetDatabase.date(from:)) ?? now
        let seconds = started.map { max(0, ended.timeIntervalSince($0)) } ?? 0
        lines.append("started \(run.started_at), \(run.finished_at == nil ? "running for" : "took") \(Self.duration(seconds))")
        if let haltReason { lines.append("halted by \(haltReason)") }
        lines.append("\(counts.total) projects: \(counts.succeeded) succeeded, \(counts.unchanged) unchanged, \(counts.failed) failed, \(counts.pending) pending, \(counts.running) running")
        if seconds > 0 {
            let done = counts.succeeded + counts.unchanged + counts.failed
            lines.append(String(format: "throughput: %.1f projects/s, %.1f requests/s (%d requests)", Double(done) / seconds, Double(requests) / seconds, requests))
        }
        if !failedAttempts.isEmpty {
            let total = failedAttempts.reduce(0) { $0 + $1.count }
            lines.append("failed requests: \(total) (" + failedAttempts.map { "\($0.count) \($0.kind)" }.joined(separator: ", ") + "); rate_limited, server, timeout and network are retried")
        }
        let failed = projects.filter { $0.status == TaskState.failed.rawValue }
        if !failed.isEmpty {
            lines.append("")
            lines.append("failures:")
            let groups = Dictionary(grouping: failed) { "\($0.error_kind ?? "?")\u{0}\($0.error ?? "")" }
            for key in groups.keys.sorted(by: { (groups[$0]!.count, $1) > (groups[$1]!.count, $0) }) {
                let members = groups[key]!
                let first = members[0]
                lines.append("  \(first.error_kind ?? "?"): \(first.error ?? "") (\(members.count) \(members.count == 1 ? "project" : "projects"))")
                let shown = projectsPerGroup.map { Array(members.prefix($0)) } ?? members
                for member in shown {
                    lines.append("    \(member.space) \(member.project_id)\(member.label.isEmpty ? "" : " \(member.label)")")
                }
                if shown.count < members.count {
                    lines.append("    … and \(members.count - shown.count) more (fleet status \(run.id) --failed lists them all)")
                }
            }
        }
        if counts.failed + counts.pending + counts.running > 0 && run.state != RunState.running.rawValue {
            lines.append("")
            lines.append("rerun what did not succeed: \(rerun) retry \(run.id)")
        }
        return lines.joined(separator: "\n")
    }

    public static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60) min \(whole % 60) s" }
        return "\(whole / 3600) h \(whole % 3600 / 60) min"
    }
}

extension FleetDatabase {
    /// Every run, newest first, with its task counts.
    public func runSummaries() throws -> [(run: Run, state: RunState, counts: StatusReport.Counts)] {
        let runs = try writer.read { db in try Run.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id DESC") }
        let counts = try writer.read { db in
            var byRun: [Int64: StatusReport.Counts] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT run_id, state, count(*) AS n FROM tasks GROUP BY run_id, state") {
                byRun[row["run_id"], default: .init()].add(row["n"], in: row["state"])
            }
            return byRun
        }
        return runs.map { run in
            let state = effectiveState(of: run)
            var entry = counts[run.id] ?? .init()
            entry.settle(runState: state)
            return (run, state, entry)
        }
    }
}

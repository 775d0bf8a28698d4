import FleetEngine
import FleetModel
import FleetStore
import Foundation

extension StatusReport {
    /// The JSON of the README's "Status JSON", keys sorted at every level. The projects are
    /// written by hand (a run may have 100,000 of them; `JSONEncoder` took 1 s there), the rest
    /// by `ReportJSON`.
    package func json() throws -> String {
        let options = (try? run.executionOptions()).map(OptionsJSON.init)
        let runJSON = RunJSON(id: run.id, kind: run.kind.rawValue, template_name: run.templateName, template_sha256: run.templateSHA256,
                              state: state.rawValue, started_at: run.startedAt, finished_at: run.finishedAt, api_base: run.apiBase,
                              options: options, executions: executions.count, duration_s: (duration * 1000).rounded() / 1000,
                              halt_reason: state == .halted ? run.haltReason : nil, rollback_of: run.rollbackOf,
                              rolled_back_by: rolledBackBy)
        let spaceJSON = spaces.map { SpaceJSON(space: $0.space, rate: ($0.rate * 100).rounded() / 100, throttled: $0.throttled, stopped: $0.stopped) }
        let waveJSON = waves.map { wave, counts in
            WaveJSON(number: wave.number, state: wave.state.rawValue, counts: Dictionary(uniqueKeysWithValues: counts),
                     bake_until: wave.bakeUntil, gate_status: wave.gateStatus, gate_output: wave.gateOutput)
        }
        var out = "{\"counts\":" + (try ReportJSON.encode(counts)) + ",\"projects\":["
        out.reserveCapacity(projects.count * 240)
        for (index, project) in projects.enumerated() {
            if index > 0 { out += "," }
            out += Self.json(project)
        }
        return out + "],\"run\":" + (try ReportJSON.encode(runJSON)) + ",\"spaces\":" + (try ReportJSON.encode(spaceJSON))
            + ",\"waves\":" + (try ReportJSON.encode(waveJSON)) + "}"
    }

    /// One project as `ReportJSON` would write it: keys sorted, an absent value `null`.
    static func json(_ project: ProjectOutcome) -> String {
        func string(_ text: String?) -> String { text.map(JSONText.string) ?? "null" }
        return "{\"attempts\":\(project.attempts),\"error\":\(string(project.error)),\"error_kind\":\(string(project.errorKind?.rawValue)),"
            + "\"http_status\":\(project.httpStatus.map(String.init) ?? "null"),\"label\":\(string(project.label)),"
            + "\"project_id\":\(string(project.projectID)),\"space\":\(string(project.space)),\"status\":\(string(project.status.rawValue)),"
            + "\"wave\":\(project.wave)}"
    }

    /// One RFC 4180 row per project: space, project_id, label, status, error_kind, http_status,
    /// attempts, error. A cell a spreadsheet would run as a formula is prefixed with `'`.
    package func csv() -> String {
        var lines = ["space,project_id,label,status,error_kind,http_status,attempts,error"]
        lines.reserveCapacity(projects.count + 1)
        for project in projects {
            lines.append([project.space, project.projectID, project.label, project.status.rawValue, project.errorKind?.rawValue ?? "",
                          project.httpStatus.map(String.init) ?? "", "\(project.attempts)", project.error ?? ""].map(CSVCell.escape).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    struct RunJSON: Encodable {
        var id: Int64
        var kind: String
        var template_name: String
        var template_sha256: String
        var state: String
        var started_at: String
        @NullEncoded var finished_at: String?
        @NullEncoded var api_base: String?
        @NullEncoded var options: OptionsJSON?
        var executions: Int
        var duration_s: Double
        @NullEncoded var halt_reason: String?
        @NullEncoded var rollback_of: Int64?
        @NullEncoded var rolled_back_by: Int64?
    }

    /// The recorded options with the README's option names.
    struct OptionsJSON: Encodable {
        var concurrency: Int
        var rate: Double
        var max_attempts: Int
        var timeout: Double
        var waves: [String]?
        var max_failures: String?
        var bake: Double?
        var gate: String?
        var rollback_on_halt: Bool
        var force: Bool

        init(_ options: ExecutionOptions) {
            concurrency = options.concurrency
            rate = options.rate
            max_attempts = options.maxAttempts
            timeout = options.timeoutSeconds
            waves = options.isStaged ? options.waveEnds.map(\.description) : nil
            max_failures = options.maxFailures?.description
            bake = options.bakeSeconds
            gate = options.gate
            rollback_on_halt = options.rollbackOnHalt
            force = options.force
        }
    }

    struct SpaceJSON: Encodable {
        var space: String
        var rate: Double
        var throttled: Int
        @NullEncoded var stopped: String?
    }

    struct WaveJSON: Encodable {
        var number: Int
        var state: String
        var counts: [String: Int]
        @NullEncoded var bake_until: String?
        @NullEncoded var gate_status: Int?
        @NullEncoded var gate_output: String?
    }
}

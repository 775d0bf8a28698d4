import FleetEngine
import FleetModel
import FleetStore
import Foundation

extension StatusReport {
    /// The JSON of the README's "Status JSON", keys sorted at every level, handed to `write` a
    /// piece at a time. The projects (those in `only`'s state, or every one) are read from
    /// `database` as they are written, by hand (a run may have 1,000,000 of them; `JSONEncoder`
    /// took 1 s for 100,000), the rest by `ReportJSON`.
    package func json(from database: FleetDatabase, _ write: @escaping (String) -> Void) throws {
        let runJSON = RunJSON(summary)
        let spaceJSON = spaces.map {
            SpaceJSON(
                space: $0.space, rate: ($0.rate * 100).rounded() / 100, throttled: $0.throttled, stopped: $0.stopped)
        }
        let waveJSON = waves.map { wave, counts in
            WaveJSON(
                number: wave.number, state: wave.state.rawValue, counts: Dictionary(uniqueKeysWithValues: counts),
                bake_until: wave.bakeUntil, gate_status: wave.gateStatus, gate_output: wave.gateOutput)
        }
        var out = PiecewiseOutput(write)
        out.append("{\"counts\":" + (try ReportJSON.encode(counts)) + ",\"projects\":[")
        var first = true
        try eachProject(from: database) { project in
            out.append((first ? "" : ",") + Self.json(project))
            first = false
        }
        out.append("],\"run\":" + (try ReportJSON.encode(runJSON)))
        out.append(",\"spaces\":" + (try ReportJSON.encode(spaceJSON)))
        out.append(",\"waves\":" + (try ReportJSON.encode(waveJSON)) + "}")
        out.flush()
    }

    /// The whole JSON as one string, for tests and small runs.
    package func json(from database: FleetDatabase) throws -> String {
        var text = ""
        try json(from: database) { text += $0 }
        return text
    }

    /// Every project of the run (in `only`'s state, with it), read as it goes.
    private func eachProject(from database: FleetDatabase, _ body: (ProjectOutcome) throws -> Void) throws {
        try database.forEachOutcome(of: run, state: state, in: only.map { [$0] }, body)
    }

    /// One project as `ReportJSON` would write it: keys sorted, an absent value `null`.
    static func json(_ project: ProjectOutcome) -> String {
        func string(_ text: String?) -> String { text.map(JSONText.string) ?? "null" }
        return
            "{\"attempts\":\(project.attempts),\"error\":\(string(project.error)),\"error_kind\":\(string(project.errorKind?.rawValue)),"
            + "\"http_status\":\(project.httpStatus.map(String.init) ?? "null"),\"label\":\(string(project.label)),"
            + "\"project_id\":\(string(project.projectID)),\"space\":\(string(project.space)),\"status\":\(string(project.status.rawValue)),"
            + "\"wave\":\(project.wave)}"
    }

    /// One RFC 4180 row per project: space, project_id, label, status, error_kind, http_status,
    /// attempts, error, handed to `write` a piece at a time. A cell a spreadsheet would run as a
    /// formula is prefixed with `'`.
    package func csv(from database: FleetDatabase, _ write: @escaping (String) -> Void) throws {
        var out = PiecewiseOutput(write)
        out.append("space,project_id,label,status,error_kind,http_status,attempts,error\r\n")
        try eachProject(from: database) { project in
            out.append(
                [
                    project.space, project.projectID, project.label, project.status.rawValue,
                    project.errorKind?.rawValue ?? "",
                    project.httpStatus.map(String.init) ?? "", "\(project.attempts)", project.error ?? "",
                ].map(CSVCell.escape).joined(separator: ",") + "\r\n")
        }
        out.flush()
    }

    struct SpaceJSON: Encodable {
        var space: String
        var rate: Double
        var throttled: Int
        @NullEncoded var stopped: String?
    }

    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct WaveJSON: Encodable {
        var number: Int
        var state: String
        var counts: [String: Int]
        @NullEncoded var bake_until: String?
        @NullEncoded var gate_status: Int?
        @NullEncoded var gate_output: String?
    }
}

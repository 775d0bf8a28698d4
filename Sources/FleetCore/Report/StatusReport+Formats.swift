import FleetEngine
import FleetModel
import FleetStore
import Foundation

extension StatusReport {
    /// The JSON of the README's "Status JSON", keys sorted at every level. The projects are
    /// written by hand (a run may have 100,000 of them; `JSONEncoder` took 1 s there), the rest
    /// by `ReportJSON`.
    package func json() throws -> String {
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
        var out = "{\"counts\":" + (try ReportJSON.encode(counts)) + ",\"projects\":["
        out.reserveCapacity(projects.count * 240)
        for (index, project) in projects.enumerated() {
            if index > 0 { out += "," }
            out += Self.json(project)
        }
        return out + "],\"run\":" + (try ReportJSON.encode(runJSON)) + ",\"spaces\":"
            + (try ReportJSON.encode(spaceJSON))
            + ",\"waves\":" + (try ReportJSON.encode(waveJSON)) + "}"
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
    /// attempts, error. A cell a spreadsheet would run as a formula is prefixed with `'`.
    package func csv() -> String {
        var lines = ["space,project_id,label,status,error_kind,http_status,attempts,error"]
        lines.reserveCapacity(projects.count + 1)
        for project in projects {
            lines.append(
                [
                    project.space, project.projectID, project.label, project.status.rawValue,
                    project.errorKind?.rawValue ?? "",
                    project.httpStatus.map(String.init) ?? "", "\(project.attempts)", project.error ?? "",
                ].map(CSVCell.escape).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
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

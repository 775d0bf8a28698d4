import Crypto
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// What a run is about to do, said (and confirmed) before its first request.
package struct Preflight: Sendable {
    package var what: String
    package var projects: Int
    package var spaces: Int
    package var apiBase: APIBase
    package var options: ExecutionOptions
    /// For a retry: projects disabled since the run, which are left alone.
    package var skipped: [Project] = []
    /// What the selection's exclusions left out.
    package var excluded: Excluded?

    /// What a selection's exclusions left out: `4 left out: space globex, tag frozen`.
    package struct Excluded: Sendable, CustomStringConvertible {
        package var text: String
        package var projects: Int
        package var description: String { "\(projects) left out: \(text)" }
    }

    /// `rollout of profile.json: 40 projects in 4 spaces at https://{space}.signalwire.com/api/relay/rest; concurrency 16, …`
    package var line: String {
        let excluded = self.excluded.map { " (\($0))" }
        return
            "\(what): \(projects) \(projects == 1 ? "project" : "projects") in \(spaces) \(spaces == 1 ? "space" : "spaces")\(excluded ?? "") at \(apiBase); \(options.summary(total: projects))"
    }
}

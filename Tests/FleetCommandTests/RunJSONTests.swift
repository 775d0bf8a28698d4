import FleetCore
import FleetModel
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

/// A run has one JSON shape, whichever command prints it.
@Suite struct RunJSONTests {
    @Test(.workspace(TestProject.make(3))) func statusRunsAndHistoryPrintARunAsTheSameObject() async throws {
        // Given a run that failed a project, retried, then rolled back
        let setup = Workspace.current
        let projects = setup.projects
        await setup.rolloutRetriedAndRolledBack(failing: projects[1])

        let status = await setup.fleet.run(["status", "1", "--json", "--db", setup.db])
        let runs = await setup.fleet.run(["runs", "--json", "--db", setup.db])
        let history = await setup.fleet.run(["history", projects[1].projectID, "--json", "--db", setup.db])

        // Then run 1 is the same object, key for key and value for value, in all three
        let fromStatus = try #require(try Self.object(status.stdout)["run"] as? [String: Any])
        let fromRuns = try #require(
            (try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]])?.first {
                $0["id"] as? Int == 1
            })
        let fromHistory = try #require(
            ((try Self.object(history.stdout)["runs"] as? [[String: Any]])?.first)?["run"] as? [String: Any])
        #expect(NSDictionary(dictionary: fromStatus) == NSDictionary(dictionary: fromRuns))
        #expect(NSDictionary(dictionary: fromStatus) == NSDictionary(dictionary: fromHistory))
        #expect(fromStatus["template_name"] as? String == setup.template)
        #expect(fromStatus["rolled_back_by"] as? Int == 2)
        #expect(fromStatus["executions"] as? Int == 2)
        #expect((fromStatus["counts"] as? [String: Int])?["succeeded"] == 3)
        #expect(
            Set(fromStatus.keys) == [
                "id", "kind", "template_name", "template_sha256", "state", "started_at", "finished_at", "api_base",
                "options", "executions",
                "duration_s", "halt_reason", "rollback_of", "rolled_back_by", "counts", "change", "reason", "operators",
            ])
    }

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}

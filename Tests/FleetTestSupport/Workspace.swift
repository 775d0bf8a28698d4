import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import Foundation
import Testing

/// What a command test works in: a temporary folder with an imported inventory (`fixture`), a
/// template file, and a simulator holding the inventory's accounts. Tests get one from the
/// `.workspace(…)` trait (`Workspace.current`), or make one when it depends on the test's own
/// values.
package struct Workspace: Sendable {
    package let fixture: Fixture
    /// The template file's path.
    package let template: String
    package let simulator: SignalWireSimulator

    package var projects: [TestProject] { fixture.projects }
    package var db: String { fixture.database.path }
    /// `--db`, the in-process API base and `--quiet`: the options of a command that calls the API.
    package var api: [String] { ["--db", db, "--api-base", Fixture.apiBase, "--quiet"] }
    /// The options of the commands that write: `--yes` too, as a script gives it.
    package var apply: [String] { api + ["--yes"] }

    package init(
        _ projects: [TestProject], csv: String? = nil, template: String = secureTemplate,
        simulator configuration: SimulatorConfiguration = SimulatorConfiguration()
    ) throws {
        fixture = try Fixture(projects: projects, csv: csv)
        self.template = try fixture.directory.write("profile.json", template)
        simulator = try fixture.simulator(configuration)
    }

    /// The simulator's stored profile of `project`.
    package func profile(_ project: TestProject) -> SipProfile {
        simulator.profile(space: project.space, projectID: project.projectID)
    }

    /// A dashboard edit: someone else's change after a run.
    package func edit(_ project: TestProject) {
        var profile = profile(project)
        (profile.defaultCodecs, profile.domainIdentifier) = (["PCMU"], "someone-else")
        simulator.setProfile(profile, space: project.space, projectID: project.projectID)
    }

    /// The workspace of the running test, from its `.workspace(…)` trait.
    package static var current: Workspace {
        guard let workspace = scoped else { fatalError("Workspace.current outside a test with the .workspace trait") }
        return workspace
    }

    @TaskLocal fileprivate static var scoped: Workspace?
}

/// The trait that gives a test its `Workspace`: made before the test, gone after it.
package struct WorkspaceTrait: TestTrait, TestScoping {
    let make: @Sendable () throws -> Workspace

    package func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await Workspace.$scoped.withValue(try make()) { try await function() }
    }
}

extension Trait where Self == WorkspaceTrait {
    /// A workspace of `projects` (inventory `csv` if given), the `template`, and a simulator with
    /// `simulator`'s faults.
    package static func workspace(
        _ projects: @autoclosure @escaping @Sendable () -> [TestProject],
        csv: (@Sendable ([TestProject]) -> String)? = nil,
        template: String = secureTemplate, simulator: SimulatorConfiguration = SimulatorConfiguration()
    ) -> WorkspaceTrait {
        WorkspaceTrait {
            let projects = projects()
            return try Workspace(projects, csv: csv?(projects), template: template, simulator: simulator)
        }
    }
}

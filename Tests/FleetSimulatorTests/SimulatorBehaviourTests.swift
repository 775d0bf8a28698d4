import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

/// The simulator's behaviour without HTTP: fault reproducibility, counters, the request log.
@Suite struct SimulatorBehaviourTests {
    static let projects = TestProject.make(20, spaces: 2)

    func auth(_ project: TestProject) -> String {
        "Basic " + Data("\(project.projectID):\(project.token)".utf8).base64EncodedString()
    }

    func statuses(seed: UInt64) async throws -> [Int] {
        var configuration = SimulatorConfiguration()
        configuration.failRate = 0.3
        configuration.seed = seed
        let simulator = try SignalWireSimulator(
            accounts: TestProject.accounts(Self.projects), configuration: configuration)
        var statuses: [Int] = []
        for project in Self.projects {
            for _ in 0..<3 {
                statuses.append(
                    await simulator.respond(
                        method: "GET", space: project.space, authorization: auth(project), body: Data()
                    ).status)
            }
        }
        return statuses
    }

    @Test func aSeedGivesTheSameFaultsToTheSameRequests() async throws {
        let first = try await statuses(seed: 42)
        let again = try await statuses(seed: 42)
        let other = try await statuses(seed: 7)

        #expect(first == again)
        #expect(first != other)
        let failures = first.filter { $0 == 500 }.count
        #expect(failures > 5 && failures < 35, "about 30% of 60 requests should fail, got \(failures)")
    }

    @Test func everyAnswered429IsCountedWhetherByTheRateOrTheWriteLimit() async throws {
        var configuration = SimulatorConfiguration()
        configuration.writeLimit = (2, .seconds(60))
        configuration.rateLimit = 5
        let simulator = try SignalWireSimulator(
            accounts: TestProject.accounts(Self.projects), configuration: configuration)
        let project = Self.projects[0]
        let body = Data(#"{"default_encryption": "required"}"#.utf8)

        var statuses: [Int] = []
        for _ in 0..<3 {
            statuses.append(
                await simulator.respond(method: "PUT", space: project.space, authorization: auth(project), body: body)
                    .status)
        }
        for _ in 0..<4 {
            statuses.append(
                await simulator.respond(method: "GET", space: project.space, authorization: auth(project), body: Data())
                    .status)
        }

        #expect(statuses == [201, 201, 429, 200, 200, 429, 429], "a write limit of 2, then a rate of 5 a second")
        #expect(simulator.throttled == 3)
    }

    @Test func countsRequestsPerProjectAndMethodAndPeakInFlight() async throws {
        var configuration = SimulatorConfiguration()
        configuration.latency = .milliseconds(50)
        let simulator = try SignalWireSimulator(
            accounts: TestProject.accounts(Self.projects), configuration: configuration)
        let project = Self.projects[0]

        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    _ = await simulator.respond(
                        method: "GET", space: project.space, authorization: self.auth(project), body: Data())
                }
            }
            group.addTask {
                _ = await simulator.respond(
                    method: "PUT", space: project.space, authorization: self.auth(project), body: Data("{}".utf8))
            }
        }

        #expect(simulator.requests(project: project.projectID, method: "GET") == 5)
        #expect(simulator.requests(project: project.projectID, method: "PUT") == 1)
        #expect(simulator.statistics.peakInFlight == 6)
        #expect(simulator.statistics.inFlight == 0)
        #expect(simulator.peakRequests(space: project.space, within: .seconds(1)) == 6)
    }

    @Test func theRequestLogHasOneLinePerRequestAndNoToken() async throws {
        let directory = try TemporaryDirectory()
        let simulator = try SignalWireSimulator(
            accounts: TestProject.accounts(Self.projects), logPath: directory.file("log.jsonl"))
        let project = Self.projects[3]

        _ = await simulator.respond(method: "GET", space: project.space, authorization: auth(project), body: Data())
        _ = await simulator.respond(
            method: "PUT", space: project.space, authorization: auth(project), body: Data(#"{"colour":1}"#.utf8))

        let text = try String(contentsOfFile: directory.file("log.jsonl"), encoding: .utf8)
        let lines = text.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(lines.count == 2)
        #expect(lines.map { $0?["status"] as? Int } == [200, 422])
        #expect(lines.map { $0?["method"] as? String } == ["GET", "PUT"])
        #expect(
            lines.allSatisfy {
                $0?["project_id"] as? String == project.projectID && $0?["space"] as? String == project.space
            })
        #expect(!text.contains(project.token))
    }
}

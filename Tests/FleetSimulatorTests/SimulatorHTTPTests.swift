import AsyncHTTPClient
import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The simulator over real HTTP, every answer checked against the OpenAPI file.
@Suite struct SimulatorHTTPTests: Sendable {
    static let projects = TestProject.make(4, spaces: 2)
    /// On loops of its own: NIO's shared ones are kept busy by other tests' in-process runs, and
    /// a deadline this suite counts on would fire late.
    static let client = HTTPClient(eventLoopGroupProvider: .shared(TestLoops.clients))
    let schema: OpenAPISchema

    init() throws { schema = try OpenAPISchema() }

    struct Answer {
        var status: Int
        var body: Data
        var headers: HTTPHeaders
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:] }
    }

    static func send(
        _ method: HTTPMethod, _ url: String, project: TestProject?, token: String? = nil, body: String? = nil,
        host: String? = nil, timeout: TimeAmount = .seconds(10)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let project {
            let credentials = "\(project.projectID):\(token ?? project.token)"
            request.headers.add(name: "Authorization", value: "Basic " + Data(credentials.utf8).base64EncodedString())
        }
        if let host { request.headers.replaceOrAdd(name: "Host", value: host) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await Self.client.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: Data(bytes.readableBytesView), headers: response.headers)
    }

    static func url(_ apiBase: String, _ project: TestProject) -> String {
        apiBase.replacingOccurrences(of: "{space}", with: project.space) + "/sip_profile"
    }

    @Test func getAnswers200WithTheInitialProfile() async throws {
        try await withSimulator(Self.projects) { _, apiBase in
            let project = Self.projects[0]

            let answer = try await Self.send(.GET, Self.url(apiBase, project), project: project)

            #expect(answer.status == 200)
            #expect(schema.problems(method: "GET", status: 200, body: answer.body) == [])
            #expect(
                SipProfile.decode(answer.body)
                    == SignalWireSimulator.initialProfile(space: project.space, projectID: project.projectID))
            #expect(
                SipProfile.decode(answer.body)?.domain
                    == "\(project.space)-p\(project.projectID.prefix(8)).sip.signalwire.com")
        }
    }

    @Test func putAnswers201WithTheMergedProfileAndStoresIt() async throws {
        try await withSimulator(Self.projects) { simulator, apiBase in
            let project = Self.projects[1]

            let answer = try await Self.send(
                .PUT, Self.url(apiBase, project), project: project,
                body: #"{"default_codecs": ["OPUS"], "domain_identifier": "edge", "default_send_as": "+442071234567"}"#)

            #expect(answer.status == 201)
            #expect(schema.problems(method: "PUT", status: 201, body: answer.body) == [])
            let stored = simulator.profile(space: project.space, projectID: project.projectID)
            #expect(SipProfile.decode(answer.body) == stored)
            #expect(
                stored
                    == SipProfile(
                        domain: "\(project.space)-edge.sip.signalwire.com", domainIdentifier: "edge",
                        defaultCodecs: ["OPUS"],
                        defaultCiphers: ["AES_CM_128_HMAC_SHA1_80"], defaultEncryption: "optional",
                        defaultSendAs: "+442071234567"))
        }
    }

    @Test func badCredentialsAnswer401() async throws {
        var configuration = SimulatorConfiguration()
        configuration.revoked = [Self.projects[3].projectID]
        try await withSimulator(Self.projects, configuration) { simulator, apiBase in
            let project = Self.projects[0]
            var otherSpace = project
            otherSpace.space = Self.projects[1].space
            let answers = [
                try await Self.send(.GET, Self.url(apiBase, project), project: project, token: "PTwrong"),
                try await Self.send(.GET, Self.url(apiBase, project), project: nil),
                try await Self.send(.PUT, Self.url(apiBase, otherSpace), project: otherSpace, body: "{}"),
                try await Self.send(.GET, Self.url(apiBase, Self.projects[3]), project: Self.projects[3]),
            ]
            for answer in answers {
                #expect(answer.status == 401)
                #expect(String(decoding: answer.body, as: UTF8.self) == #"{"error":"Unauthorized"}"#)
                #expect(schema.problems(method: "GET", status: 401, body: answer.body) == [])
            }
            #expect(
                simulator.profile(space: otherSpace.space, projectID: otherSpace.projectID)
                    == SignalWireSimulator.initialProfile(space: otherSpace.space, projectID: otherSpace.projectID))
        }
    }

    static let invalidBodies: [(body: String, detail: String)] = [
        (
            #"{"default_codecs": ["OPUS"], "colour": "blue"}"#,
            "unknown field \"colour\"; allowed fields are domain_identifier, default_codecs, default_ciphers, default_encryption, default_send_as"
        ),
        (#"{"default_encryption": true}"#, "default_encryption must be a string, not a boolean"),
        (
            #"{"default_codecs": ["OPUS", "G729"]}"#,
            "default_codecs[1] \"G729\" is not one of OPUS, G722, PCMU, PCMA, VP8, H264"
        ),
        (
            #"{"default_send_as": "+0123"}"#,
            "default_send_as \"+0123\" is not an E.164 number (+ then 2 to 15 digits, the first not 0), null or \"\""
        ),
        (#"{"default_ciphers": "AEAD_AES_256_GCM_8"}"#, "default_ciphers must be an array of strings, not a string"),
        (
            #"{"domain": "x.sip.signalwire.com"}"#,
            "unknown field \"domain\" (domain is read-only); allowed fields are domain_identifier, default_codecs, default_ciphers, default_encryption, default_send_as"
        ),
        ("not json", "the body is not valid JSON"),
    ]

    @Test(arguments: invalidBodies.indices)
    func invalidBodiesAnswer422WithTheDocumentedShape(_ index: Int) async throws {
        let invalid = Self.invalidBodies[index]
        try await withSimulator(Self.projects) { simulator, apiBase in
            let project = Self.projects[0]

            let answer = try await Self.send(.PUT, Self.url(apiBase, project), project: project, body: invalid.body)

            #expect(answer.status == 422)
            #expect(schema.problems(method: "PUT", status: 422, body: answer.body) == [])
            let errors = answer.json["errors"] as? [[String: String]]
            #expect(
                errors == [
                    [
                        "detail": invalid.detail, "status": "422", "title": "Invalid Parameter",
                        "code": "invalid_parameter",
                    ]
                ])
            #expect(
                simulator.profile(space: project.space, projectID: project.projectID)
                    == SignalWireSimulator.initialProfile(space: project.space, projectID: project.projectID))
        }
    }

    @Test func nullAndEmptySendAsAreAccepted() async throws {
        try await withSimulator(Self.projects) { _, apiBase in
            let project = Self.projects[0]
            for body in [
                #"{"default_send_as": null}"#, #"{"default_send_as": ""}"#, #"{"default_send_as": "+15551234567"}"#,
            ] {
                let answer = try await Self.send(.PUT, Self.url(apiBase, project), project: project, body: body)
                #expect(answer.status == 201, "\(body)")
                #expect(schema.problems(method: "PUT", status: 201, body: answer.body) == [])
            }
        }
    }

    @Test func failRateAnswers500() async throws {
        var configuration = SimulatorConfiguration()
        configuration.failRate = 1
        try await withSimulator(Self.projects, configuration) { _, apiBase in
            for method in [HTTPMethod.GET, .PUT] {
                let answer = try await Self.send(
                    method, Self.url(apiBase, Self.projects[0]), project: Self.projects[0],
                    body: method == .PUT ? "{}" : nil)
                #expect(answer.status == 500)
                #expect(String(decoding: answer.body, as: UTF8.self) == #"{"error":"Internal Server Error"}"#)
                #expect(schema.problems(method: method.rawValue, status: 500, body: answer.body) == [])
            }
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        var configuration = SimulatorConfiguration()
        configuration.rateLimit = 1
        try await withSimulator(Self.projects, configuration) { _, apiBase in
            // Ten requests to one space: at least two fall in the same second, so one is over
            let project = Self.projects[0]
            var answers: [Answer] = []
            for _ in 0..<10 { answers.append(try await Self.send(.GET, Self.url(apiBase, project), project: project)) }

            #expect(answers[0].status == 200)
            let limited = try #require(answers.first { $0.status == 429 })
            #expect(limited.headers.first(name: "Retry-After") == "1")
            let errors = limited.json["errors"] as? [[String: String]]
            #expect(errors?.first?["code"] == "rate_limit_exceeded")
            #expect(errors?.first?["status"] == "429")
            #expect(Set(answers.map(\.status)).isSubset(of: [200, 429]))
            // Another space has its own budget.
            let other = try await Self.send(.GET, Self.url(apiBase, Self.projects[1]), project: Self.projects[1])
            #expect(other.status == 200)
        }
    }

    @Test func failFirstAnswers503ToEachProjectsFirstRequests() async throws {
        var configuration = SimulatorConfiguration()
        configuration.failFirst = 2
        try await withSimulator(Self.projects, configuration) { simulator, apiBase in
            var statuses: [Int] = []
            for _ in 0..<3 {
                statuses.append(
                    try await Self.send(.GET, Self.url(apiBase, Self.projects[0]), project: Self.projects[0]).status)
            }
            let other = try await Self.send(.GET, Self.url(apiBase, Self.projects[1]), project: Self.projects[1])

            #expect(statuses == [503, 503, 200])
            #expect(other.status == 503)
            #expect(simulator.requests(project: Self.projects[0].projectID, method: "GET") == 3)
        }
    }

    @Test func dropRateClosesTheConnectionAfterApplyingAPut() async throws {
        var configuration = SimulatorConfiguration()
        configuration.dropRate = 1
        try await withSimulator(Self.projects, configuration) { simulator, apiBase in
            let project = Self.projects[2]

            await #expect(throws: HTTPClientError.remoteConnectionClosed) {
                _ = try await Self.send(
                    .PUT, Self.url(apiBase, project), project: project, body: #"{"default_encryption": "required"}"#)
            }
            #expect(
                simulator.profile(space: project.space, projectID: project.projectID).defaultEncryption == "required")
        }
    }

    @Test func slowRateAnswersAfterTheClientsTimeout() async throws {
        var configuration = SimulatorConfiguration()
        configuration.slowRate = 1
        // Far beyond the client's 150 ms, so a loaded machine's late timer still fires first.
        configuration.slowDelay = .seconds(5)
        try await withSimulator(Self.projects, configuration) { _, apiBase in
            await #expect(throws: HTTPClientError.deadlineExceeded) {
                _ = try await Self.send(
                    .GET, Self.url(apiBase, Self.projects[0]), project: Self.projects[0], timeout: .milliseconds(150))
            }
        }
    }

    @Test func theSpaceCanComeFromTheHostHeader() async throws {
        try await withSimulator(Self.projects) { simulator, apiBase in
            let project = Self.projects[1]
            let root =
                apiBase.replacingOccurrences(of: "/{space}/api/relay/rest", with: "") + "/api/relay/rest/sip_profile"

            let right = try await Self.send(
                .PUT, root, project: project, body: #"{"default_codecs": ["PCMA"]}"#,
                host: "\(project.space).signalwire.com")
            let wrong = try await Self.send(
                .GET, root, project: project, host: "\(Self.projects[0].space).signalwire.com")

            #expect(right.status == 201)
            #expect(simulator.profile(space: project.space, projectID: project.projectID).defaultCodecs == ["PCMA"])
            #expect(wrong.status == 401)
        }
    }

    @Test func unknownPathsAnswer404() async throws {
        try await withSimulator(Self.projects) { _, apiBase in
            let answer = try await Self.send(
                .GET, apiBase.replacingOccurrences(of: "{space}", with: "a/b") + "/sip_profile",
                project: Self.projects[0])
            #expect(answer.status == 404)
        }
    }
}

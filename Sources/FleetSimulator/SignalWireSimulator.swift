import FleetEngine
import FleetModel
import FleetStore
import Foundation
import Synchronization

/// A local SignalWire SIP-profile API: Basic auth per space, strict validation of PUT bodies as
/// the OpenAPI file says, a stored profile per project, and the faults of `SimulatorConfiguration`.
/// `receive` decides an answer and `complete` gives it after its wait (`respond` does both):
/// `SimulatorServer` puts them on HTTP, `SimulatorTransport` in process.
package final class SignalWireSimulator: Sendable {
    package struct Reply: Sendable, Equatable {
        package var status: Int
        package var body: Data
        package var headers: [String: String] = [:]
        /// Close the connection instead of answering.
        package var drop = false
        /// Answer only after this long.
        package var delay: Duration = .zero
    }

    /// What the simulator saw, for tests and benchmarks to assert on.
    package struct Statistics: Sendable {
        /// project id → method → requests.
        package var requests: [String: [String: Int]] = [:]
        package var total = 0
        package var inFlight = 0
        package var peakInFlight = 0
        /// space → arrival times since the simulator started.
        package var arrivals: [String: [Duration]] = [:]
        /// Connections accepted (over TLS, one handshake each).
        package var connections = 0
        /// Requests by the protocol that carried them: "HTTP/2" or "HTTP/1.1".
        package var protocols: [String: Int] = [:]
    }

    private struct State {
        var accounts: [String: [String: String]]
        var revoked: Set<String>
        var profiles: [String: SipProfile] = [:]
        var statistics = Statistics()
        /// (space, second) → requests in that second, for --rate-limit.
        var window: [String: (second: Int64, count: Int)] = [:]
        /// space → the times of the writes accepted within the write limit's window.
        var writes: [String: [Duration]] = [:]
        /// Until when (on the simulator's clock) every request is dropped unanswered: an outage.
        var downUntil: Duration = .zero
        /// 429s answered, for the benchmarks.
        var throttled = 0
        /// What tests asked to happen when the total number of requests reaches a count.
        var waiters: [(count: Int, action: @Sendable () -> Void)] = []
    }

    package let configuration: SimulatorConfiguration
    private let state: Mutex<State>
    /// Latency, slow answers, rate windows and arrival times all go by this clock, so tests on
    /// virtual time see a simulator on virtual time too.
    package let clock: any FleetClock
    private let log: RequestLog?

    package init(
        accounts: SimulatorAccounts, configuration: SimulatorConfiguration = SimulatorConfiguration(),
        logPath: String? = nil,
        clock: any FleetClock = SystemClock()
    ) throws {
        self.configuration = configuration
        self.clock = clock
        state = Mutex(State(accounts: accounts.tokens, revoked: configuration.revoked))
        log = try logPath.map(RequestLog.init(path:))
    }

    // MARK: What tests read and set

    package var statistics: Statistics { state.withLock { $0.statistics } }

    /// 429 answers given.
    package var throttled: Int { state.withLock { $0.throttled } }

    package func requests(project: String, method: String) -> Int {
        state.withLock { $0.statistics.requests[project]?[method] ?? 0 }
    }

    /// The stored profile, or the initial one the project would get on first request.
    package func profile(space: String, projectID: String) -> SipProfile {
        state.withLock { $0.profiles[space + "/" + projectID] }
            ?? Self.initialProfile(space: space, projectID: projectID)
    }

    package func setProfile(_ profile: SipProfile, space: String, projectID: String) {
        state.withLock { $0.profiles[space + "/" + projectID] = profile }
    }

    /// Returns once the simulator has received `count` requests in all: how tests act at a given
    /// moment of a rollout without sleeping.
    package func waitForRequests(_ count: Int) async {
        await withCheckedContinuation { continuation in whenRequests(reach: count) { continuation.resume() } }
    }

    /// Runs `action` as the simulator receives its `count`th request (at once if it has), on the
    /// thread that received it, before that request is answered: a test acts on the process
    /// under test at that very moment, however busy its own tasks are. `cancelWaiters` runs it too.
    package func whenRequests(reach count: Int, _ action: @escaping @Sendable () -> Void) {
        let reached = state.withLock { state -> Bool in
            if state.statistics.total >= count { return true }
            state.waiters.append((count, action))
            return false
        }
        if reached { action() }
    }

    func countConnection() {
        state.withLock { $0.statistics.connections += 1 }
    }

    func countRequest(protocol name: String) {
        state.withLock { $0.statistics.protocols[name, default: 0] += 1 }
    }

    /// Changes which projects' credentials are always refused.
    package func setRevoked(_ projectIDs: Set<String>) {
        state.withLock { $0.revoked = projectIDs }
    }

    /// An outage from now on, for `duration` of the simulator's clock: every request is closed
    /// unanswered and nothing is applied.
    package func goDown(for duration: Duration) {
        let until = clock.now() + duration
        state.withLock { $0.downUntil = until }
    }

    /// Releases every `waitForRequests` (and `whenRequests`) still waiting.
    package func cancelWaiters() {
        let waiters = state.withLock { state -> [@Sendable () -> Void] in
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.action)
        }
        for waiter in waiters { waiter() }
    }

    package func setToken(_ token: String, space: String, projectID: String) {
        state.withLock { $0.accounts[space, default: [:]][projectID] = token }
    }

    /// The most requests `space` received within any window of `width` (a sliding window).
    package func peakRequests(space: String, within width: Duration) -> Int {
        let times = state.withLock { $0.statistics.arrivals[space] ?? [] }.sorted()
        var peak = 0
        var low = 0
        for high in times.indices {
            while times[high] - times[low] >= width { low += 1 }
            peak = max(peak, high - low + 1)
        }
        return peak
    }

    /// A realistic profile for a project no one has written yet.
    package static func initialProfile(space: String, projectID: String) -> SipProfile {
        let identifier = "p" + projectID.prefix(8)
        return SipProfile(
            domain: "\(space)-\(identifier).sip.signalwire.com", domainIdentifier: identifier,
            defaultCodecs: ["PCMU", "PCMA"], defaultCiphers: ["AES_CM_128_HMAC_SHA1_80"],
            defaultEncryption: "optional", defaultSendAs: nil)
    }

    // MARK: Behaviour

    /// Answers one request. `space` comes from the path or the Host header.
    package func respond(method: String, space: String?, authorization: String?, body: Data) async -> Reply {
        let received = receive(method: method, space: space, authorization: authorization, body: body)
        if received.wait > .zero { try? await clock.sleep(for: received.wait) }
        return complete(received)
    }

    /// A request decided on (the profile stored, the fault chosen) but not yet answered: the
    /// answer is due after `wait` (latency and slowness).
    package struct Received: Sendable {
        package var reply: Reply
        package var wait: Duration
        let method: String, space: String?, projectID: String?, arrived: Duration
    }

    /// Counts the request and decides its answer.
    package func receive(method: String, space: String?, authorization: String?, body: Data) -> Received {
        let arrived = clock.now()
        let credentials = Self.credentials(authorization)
        let projectID = credentials?.user.lowercased()
        let (number, reached) = state.withLock { state -> (Int, [@Sendable () -> Void]) in
            state.statistics.total += 1
            let total = state.statistics.total
            let reached = state.waiters.filter { $0.count <= total }.map(\.action)
            state.waiters.removeAll { $0.count <= total }
            state.statistics.inFlight += 1
            state.statistics.peakInFlight = max(state.statistics.peakInFlight, state.statistics.inFlight)
            if let space { state.statistics.arrivals[space, default: []].append(arrived) }
            guard let projectID else { return (0, reached) }
            state.statistics.requests[projectID, default: [:]][method, default: 0] += 1
            return (state.statistics.requests[projectID]!.values.reduce(0, +), reached)
        }
        for waiter in reached { waiter() }
        let reply = decide(
            method: method, space: space, projectID: projectID, token: credentials?.password, body: body, number: number
        )
        if reply.status == 429 { state.withLock { $0.throttled += 1 } }
        return Received(
            reply: reply, wait: configuration.latency + reply.delay, method: method, space: space, projectID: projectID,
            arrived: arrived)
    }

    /// Ends a request received earlier: it leaves the in-flight count and the log gets its line.
    package func complete(_ received: Received) -> Reply {
        state.withLock { $0.statistics.inFlight -= 1 }
        var reply = received.reply
        log?.write(
            method: received.method, space: received.space, projectID: received.projectID,
            status: reply.drop ? 0 : reply.status,
            duration: clock.now() - received.arrived, at: clock.date())
        if reply.drop { reply.body = Data() }
        return reply
    }

    private func decide(method: String, space: String?, projectID: String?, token: String?, body: Data, number: Int)
        -> Reply
    {
        if clock.now() < state.withLock({ $0.downUntil }) { return Reply(status: 503, body: Data(), drop: true) }
        guard method == "GET" || method == "PUT" else {
            return Reply(status: 405, body: Self.json(["error": "Method Not Allowed"]), headers: ["Allow": "GET, PUT"])
        }
        guard let space else { return Reply(status: 404, body: Self.json(["error": "Not Found"])) }
        if let throttled = rateLimited(space) { return throttled }
        guard let projectID, let token,
            state.withLock({ $0.accounts[space]?[projectID] == token && !$0.revoked.contains(projectID) })
        else {
            return Reply(status: 401, body: Self.json(["error": "Unauthorized"]))
        }
        if number <= configuration.failFirst {
            return Reply(status: 503, body: Self.json(["error": "Service Unavailable"]))
        }
        if chance(configuration.failRate, projectID, number, salt: 1) {
            return Reply(status: 500, body: Self.json(["error": "Internal Server Error"]))
        }
        var reply = serve(method: method, space: space, projectID: projectID, body: body)
        if reply.status == 429 { return reply }
        if chance(configuration.dropRate, projectID, number, salt: 2)
            || (reply.status == 201 && chance(configuration.dropWriteRate, projectID, number, salt: 4))
        {
            reply.drop = true
        } else if chance(configuration.slowRate, projectID, number, salt: 3) {
            reply.delay = configuration.slowDelay
        }
        return reply
    }

    /// `--rate-limit`'s 429 when `space` (one it applies to) is over it.
    private func rateLimited(_ space: String) -> Reply? {
        guard let limit = configuration.rateLimit,
            configuration.rateLimitedSpaces.isEmpty || configuration.rateLimitedSpaces.contains(space),
            let retryAfter = countAgainstRateLimit(space: space, limit: limit)
        else { return nil }
        return Reply(
            status: 429,
            body: Self.errors(
                status: 429, title: "Too Many Requests", code: "rate_limit_exceeded",
                detail: "Rate limit of \(limit) requests per second exceeded for this space."),
            headers: ["Retry-After": retryAfter])
    }

    /// The answer of an authorised request that no fault replaced: the stored profile, a write,
    /// or the write limit's 429.
    private func serve(method: String, space: String, projectID: String, body: Data) -> Reply {
        if method == "GET" { return Reply(status: 200, body: profile(space: space, projectID: projectID).jsonData()) }
        if let limited = overWriteLimit(space: space) { return limited }
        let reply = put(body, space: space, projectID: projectID)
        if reply.status == 201, configuration.writeLimit != nil {
            state.withLock { $0.writes[space, default: []].append(clock.now()) }
        }
        return reply
    }

    private func put(_ body: Data, space: String, projectID: String) -> Reply {
        guard let value = JSONValue.parse(body) else {
            return Reply(
                status: 422,
                body: Self.errors(
                    status: 422, title: "Invalid Parameter", code: "invalid_parameter",
                    details: ["the body is not valid JSON"]))
        }
        let issues = ProfileValidator.issues(in: value)
        guard issues.isEmpty, case .object(let object) = value else {
            return Reply(
                status: 422,
                body: Self.errors(
                    status: 422, title: "Invalid Parameter", code: "invalid_parameter",
                    details: issues.map(\.detail)))
        }
        let patch = ProfilePatch(object)
        let stored = state.withLock { state -> SipProfile in
            let key = space + "/" + projectID
            var profile = patch.applied(
                to: state.profiles[key] ?? Self.initialProfile(space: space, projectID: projectID))
            profile.domain = "\(space)-\(profile.domainIdentifier ?? "").sip.signalwire.com"
            state.profiles[key] = profile
            return profile
        }
        return Reply(status: 201, body: stored.jsonData())
    }

    /// A 429 when `space` has had its writes of the window, else nil.
    private func overWriteLimit(space: String) -> Reply? {
        guard let limit = configuration.writeLimit else { return nil }
        let now = clock.now()
        let oldest = state.withLock { state -> Duration? in
            var writes = state.writes[space] ?? []
            writes.removeAll { $0 <= now - limit.window }
            state.writes[space] = writes
            return writes.count >= limit.count ? writes.first : nil
        }
        guard let oldest else { return nil }
        let wait = Int(((oldest + limit.window - now).seconds).rounded(.up))
        return Reply(
            status: 429,
            body: Self.errors(
                status: 429, title: "Too Many Requests", code: "rate_limit_exceeded",
                detail: "Write limit of \(limit.count) per \(limit.window.seconds) s exceeded for this space."),
            headers: configuration.retryAfter ? ["Retry-After": String(max(1, wait))] : [:])
    }

    /// nil when the request is within the limit, else the Retry-After value in seconds.
    private func countAgainstRateLimit(space: String, limit: Int) -> String? {
        let second = clock.now().components.seconds
        let over = state.withLock { state -> Bool in
            var entry = state.window[space] ?? (second, 0)
            if entry.second != second { entry = (second, 0) }
            entry.count += 1
            state.window[space] = entry
            return entry.count > limit
        }
        return over ? "1" : nil
    }

    private func chance(_ probability: Double, _ projectID: String, _ number: Int, salt: UInt64) -> Bool {
        guard probability > 0 else { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ configuration.seed
        for byte in projectID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash ^= UInt64(number) &* 0x9e37_79b9_7f4a_7c15 ^ salt &* 0xbf58_476d_1ce4_e5b9
        // SplitMix64 finaliser.
        hash = (hash ^ (hash >> 30)) &* 0xbf58_476d_1ce4_e5b9
        hash = (hash ^ (hash >> 27)) &* 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(1 << 53) < probability
    }

    /// The user and password of a `Basic` Authorization header (the scheme in any case).
    static func credentials(_ authorization: String?) -> (user: String, password: String)? {
        guard let authorization, authorization.utf8.count > 6,
            authorization.utf8.prefix(6).elementsEqual("basic ".utf8, by: { $0 | 0x20 == $1 })
        else { return nil }
        let encoded = authorization.utf8.dropFirst(6).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let data = Data(base64Encoded: Data(encoded)),
            let text = String(validating: data, as: UTF8.self), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    static func json(_ object: [String: String]) -> Data {
        (try? JSONEncoder().encode(object)) ?? Data()
    }

    static func errors(status: Int, title: String, code: String, detail: String) -> Data {
        errors(status: status, title: title, code: code, details: [detail])
    }

    static func errors(status: Int, title: String, code: String, details: [String]) -> Data {
        struct Item: Encodable { var detail, status, title, code: String }
        struct Body: Encodable { var errors: [Item] }
        let body = Body(errors: details.map { Item(detail: $0, status: String(status), title: title, code: code) })
        return (try? JSONEncoder().encode(body)) ?? Data()
    }
}

/// `--log FILE`: one JSON line per request (method, space, project id, status, duration). The
/// Authorization header is never written.
final class RequestLog: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else {
            throw FleetError("cannot write the simulator log \(path).", status: .usage)
        }
        self.handle = Mutex(handle)
    }

    func write(method: String, space: String?, projectID: String?, status: Int, duration: Duration, at time: Date) {
        // Its properties are the JSON keys of the schema, snake_case as written.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Line: Encodable {
            var time: String, method: String, space: String?, project_id: String?, status: Int, duration_ms: Double
        }
        let line = Line(
            time: FleetDatabase.timestamp(time), method: method, space: space, project_id: projectID, status: status,
            duration_ms: (duration.milliseconds * 1000).rounded() / 1000)
        guard var data = try? JSONEncoder().encode(line) else { return }
        data.append(0x0A)
        handle.withLock { $0.write(data) }
    }
}

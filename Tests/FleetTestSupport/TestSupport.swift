import FleetCore
import FleetEngine
import FleetModel
import FleetSimulator
import FleetStore
import Foundation
import GRDB
import Synchronization

/// A fresh folder under the system's temporary directory, removed when released.
package final class TemporaryDirectory: Sendable {
    package let path: String

    package init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fleet-tests-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        path = base.path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    package func file(_ name: String) -> String { path + "/" + name }

    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    package func write(_ name: String, _ data: Data) throws -> String {
        let target = file(name)
        try data.write(to: URL(fileURLWithPath: target))
        return target
    }
}

/// The repository's root, found from this file's place in it.
package let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    fatalError("no Package.swift above \(#filePath)")
}()

/// A made-up project with a known token, for inventories, the simulator and leak checks.
package struct TestProject: Sendable, Hashable {
    package var space: String
    package var projectID: String
    package var token: String
    package var label: String

    /// Deterministic projects spread over `spaces` spaces; tokens look like real ones.
    package static func make(_ count: Int, spaces: Int = 4, salt: String = "t") -> [TestProject] {
        (0..<count).map { index in
            let id = String(format: "%08x-0000-4000-8000-%012x", 0x1000_0000 + index, index)
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in "\(salt)/\(index)".utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let token =
                "PT"
                + [hash, hash &* 31 &+ 7, hash ^ 0x5555_5555_5555_5555].map { String(format: "%016llx", $0) }.joined()
            return TestProject(space: "space\(index % spaces)", projectID: id, token: token, label: "Project \(index)")
        }
    }

    /// The profile `secureTemplate` gives this project, starting from the simulator's initial one.
    package var secureProfile: SipProfile {
        var profile = SignalWireSimulator.initialProfile(space: space, projectID: projectID)
        profile.defaultEncryption = "required"
        profile.defaultCodecs = ["OPUS", "G722", "PCMU"]
        profile.defaultCiphers = ["AEAD_AES_256_GCM_8", "AES_256_CM_HMAC_SHA1_80"]
        profile.defaultSendAs = "+15550001111"
        return profile
    }

    /// A simulator whose every answer comes after a minute: requests stay in flight.
    package static var hanging: SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.slowRate = 1
        configuration.slowDelay = .seconds(60)
        return configuration
    }

    package static func csv(
        _ projects: [TestProject], extraHeader: String = ",send_as",
        extra: (TestProject) -> String = { _ in ",+15550001111" }
    ) -> String {
        "space,project_id,token,label" + extraHeader + "\n"
            + projects.map { "\($0.space),\($0.projectID),\($0.token),\($0.label)" + extra($0) }.joined(separator: "\n")
            + "\n"
    }

    package static func accounts(_ projects: [TestProject]) -> SimulatorAccounts {
        var accounts = SimulatorAccounts()
        for project in projects { accounts.tokens[project.space, default: [:]][project.projectID] = project.token }
        return accounts
    }
}

/// What a fleet command printed and the status it exited with, run in this process or as the binary.
package struct CommandResult: Sendable {
    package var status: Int32
    package var stdout: String
    package var stderr: String
    package var output: String { stdout + stderr }

    package init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs the built `fleet` binary as a subprocess.
package enum FleetBinary {
    package static let path: String = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("fleet")
                .path,
            repositoryRoot + "/.build/debug/fleet",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }()

    /// Starts `fleet` with `arguments` (as another user when `asUser` is given, through setpriv);
    /// the caller waits for it.
    package static func start(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        asUser: uid_t? = nil
    ) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        if let asUser {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(asUser)", "--regid=\(asUser)", "--clear-groups", path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "FLEET_DB")
        env.removeValue(forKey: "FLEET_API_BASE")
        env.removeValue(forKey: "FLEET_KEY")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let exit = ExitSignal()
        process.terminationHandler = { _ in exit.fire() }
        try process.run()
        exits.withLock { $0[process.processIdentifier] = exit }
        return (process, out, err)
    }

    /// Runs `fleet` to its end.
    package static func run(
        _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        asUser: uid_t? = nil
    ) async throws -> CommandResult {
        let (process, out, err) = try start(arguments, environment: environment, directory: directory, asUser: asUser)
        return await collect(process, out, err)
    }

    /// Returns once `simulator` has received `count` requests in all, or the process has exited
    /// (it may have finished its work with fewer): where a test kills a process mid-run.
    /// (Not a task group: the group would wait for the exit too, which comes only once the
    /// caller kills the process.)
    /// `then` runs at the moment the count is reached (on the simulator's thread, not when this
    /// task gets to run again), and not at all if the process exits first.
    package static func wait(
        for count: Int, at simulator: SignalWireSimulator, orExitOf process: Process,
        then action: @escaping @Sendable () -> Void = {}
    ) async {
        let first = Mutex(true)
        let claim: @Sendable () -> Bool = {
            first.withLock { unclaimed in
                defer { unclaimed = false }
                return unclaimed
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Task {
                await waitForExit(process)
                if claim() {
                    simulator.cancelWaiters()
                    continuation.resume()
                }
            }
            simulator.whenRequests(reach: count) {
                guard claim() else { return }
                action()
                continuation.resume()
            }
        }
    }

    /// Waits for the process to exit, off Swift's cooperative pool.
    /// (Foundation's `waitUntilExit` spins a run loop on Linux, a core at 100% per waiter; the
    /// termination handler, called once the status is recorded, costs nothing.)
    package static func waitForExit(_ process: Process) async {
        await exits.withLock { $0[process.processIdentifier] }?.wait()
    }

    /// By process id; a new process with a recycled id replaces the old entry.
    private static let exits = Mutex<[Int32: ExitSignal]>([:])

    /// Reads both pipes to their end and waits for the exit. The blocking reads run on GCD's
    /// threads, never on Swift's cooperative pool, where they would starve the in-process simulator.
    package static func collect(_ process: Process, _ out: Pipe, _ err: Pipe) async -> CommandResult {
        async let stdout = offPool { out.fileHandleForReading.readDataToEndOfFile() }
        async let stderr = offPool { err.fileHandleForReading.readDataToEndOfFile() }
        let (o, e) = await (stdout, stderr)
        await waitForExit(process)
        return CommandResult(
            status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
            stderr: String(decoding: e, as: UTF8.self))
    }

    /// Reads `pipe` until `text` has appeared (the child reached that point), and returns what was
    /// read. `then` runs as soon as the text is read, on the reading thread (not when this task
    /// gets to run again), and not at all if the pipe ends first.
    package static func read(_ pipe: Pipe, until text: String, then action: @escaping @Sendable () -> Void = {}) async
        -> String
    {
        await offPool {
            var seen = ""
            while !seen.contains(text) {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { return seen }
                seen += String(decoding: data, as: UTF8.self)
            }
            action()
            return seen
        }
    }

    /// On a thread of its own: GCD's global queues are as wide as the cores, and blocking them
    /// starves Swift's concurrency, which shares their threads.
    private static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: work()) }.start()
        }
    }
}

/// A database and an inventory, for integration tests.
package struct Fixture: Sendable {
    package let directory: TemporaryDirectory
    package let database: FleetDatabase
    package let projects: [TestProject]

    /// An API base for in-process transports, which route by path as the simulator does.
    package static let apiBase = "http://127.0.0.1:9/{space}/api/relay/rest"

    package init(projects: [TestProject], csv: String? = nil) throws {
        directory = try TemporaryDirectory()
        self.projects = projects
        database = try FleetDatabase(path: directory.file("fleet.db"), access: .create)
        let file = try directory.write("projects.csv", csv ?? TestProject.csv(projects))
        _ = try database.importInventory(
            try InventoryFile.load(path: file), vault: TokenVault(keyBytes: nil), now: Date())
    }

    /// A simulator holding this fixture's accounts, on `clock`.
    package func simulator(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(), clock: any FleetClock = SystemClock()
    ) throws -> SignalWireSimulator {
        try SignalWireSimulator(accounts: TestProject.accounts(projects), configuration: configuration, clock: clock)
    }

    /// A session over `transports` (the in-process simulator by default) on `clock`.
    package func session(
        _ transports: any TransportProvider, apiBase: String = Fixture.apiBase, clock: any FleetClock = SystemClock(),
        stop: StopSignal = StopSignal(), progress: RunProgress = RunProgress(),
        gate: any GateRunner = ShellGate(output: { _ in }),
        random: @escaping @Sendable () -> Double = { 0.5 }
    ) throws -> FleetSession {
        FleetSession(
            database: database, apiBase: try APIBase(apiBase), vault: TokenVault(keyBytes: nil), transports: transports,
            clock: clock,
            stop: stop, progress: progress, gate: gate, random: random)
    }

    /// A session straight into `simulator`, on the simulator's clock.
    package func session(
        _ simulator: SignalWireSimulator, stop: StopSignal = StopSignal(),
        gate: any GateRunner = ShellGate(output: { _ in }),
        random: @escaping @Sendable () -> Double = { 0.5 }
    ) throws -> FleetSession {
        try session(
            SimulatorTransportProvider(simulator: simulator), clock: simulator.clock, stop: stop, gate: gate,
            random: random)
    }
}

/// Runs `body` with a simulator serving on a free port of 127.0.0.1.
package func withSimulator<T: Sendable>(
    _ projects: [TestProject], _ configuration: SimulatorConfiguration = SimulatorConfiguration(),
    _ body: @Sendable (SignalWireSimulator, String) async throws -> T
) async throws -> T {
    let simulator = try SignalWireSimulator(accounts: TestProject.accounts(projects), configuration: configuration)
    return try await SimulatorServer(simulator: simulator).withRunning { apiBase in try await body(simulator, apiBase) }
}

/// Template text used across tests.
package let secureTemplate = """
    {"default_encryption": "required", "default_codecs": ["OPUS", "G722", "PCMU"],
     "default_ciphers": ["AEAD_AES_256_GCM_8", "AES_256_CM_HMAC_SHA1_80"], "default_send_as": "{{send_as}}"}
    """

extension FleetSession {
    /// prepare + execute, as the commands do, without the console.
    package func rollout(_ template: Template, selection: Selection = Selection(), options: ExecutionOptions)
        async throws -> RunOutcome
    {
        try await execute(try prepareRollout(template, selection: selection, options: options))
    }

    /// Nil when the run has nothing left to retry.
    package func retry(_ run: Int64?, options: ExecutionOptions? = nil, pendingOnly: Bool = false) async throws
        -> RunOutcome?
    {
        guard let prepared = try prepareRetry(run, options: options, pendingOnly: pendingOnly) else { return nil }
        return try await execute(prepared)
    }

    package func rollback(_ run: Int64, options: ExecutionOptions) async throws -> RunOutcome? {
        guard let prepared = try prepareRollback(run, options: options) else { return nil }
        return try await execute(prepared)
    }
}

extension FleetDatabase {
    /// Task states of a run and how many tasks are in each.
    package func taskStates(run: Int64) throws -> [String: Int] {
        try writer.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(
                    db, sql: "SELECT state, count(*) AS n FROM tasks WHERE run_id = ? GROUP BY state", arguments: [run]
                )
                .map { ($0["state"] as String, $0["n"] as Int) })
        }
    }

    /// One value of a query, for assertions.
    package func scalar<T: DatabaseValueConvertible>(_ sql: String, _ arguments: StatementArguments = []) throws -> T? {
        try writer.read { db in try T.fetchOne(db, sql: sql, arguments: arguments) }
    }

    package func column<T: DatabaseValueConvertible>(_ sql: String, _ arguments: StatementArguments = []) throws -> [T]
    {
        try writer.read { db in try T.fetchAll(db, sql: sql, arguments: arguments) }
    }
}

/// Options with the rate out of the way, for tests that are not about it.
package func testOptions(_ change: (inout ExecutionOptions) -> Void = { _ in }) -> ExecutionOptions {
    var options = ExecutionOptions()
    options.rate = 10_000
    change(&options)
    return options
}

/// Sends each request to the simulator of its URL's host and port, in-process: two "APIs" that
/// a test can tell apart by what each received.
package struct RoutingTransportProvider: TransportProvider {
    package let routes: [String: SignalWireSimulator]

    package init(_ routes: [String: SignalWireSimulator]) {
        self.routes = routes
    }

    package func withTransport<T: Sendable>(
        _ options: TransportOptions, _ body: @Sendable (any Transport) async throws -> T
    ) async throws -> T {
        try await body(Router(routes: routes))
    }

    struct Router: Transport {
        let routes: [String: SignalWireSimulator]

        func send(_ request: TransportRequest, timeout: Duration) async -> Result<TransportResponse, RequestFailure> {
            guard let simulator = routes[request.host] else {
                return .failure(
                    RequestFailure(kind: .network, message: "the connection to \(request.host) was refused"))
            }
            return await SimulatorTransport(simulator: simulator).send(request, timeout: timeout)
        }
    }
}

/// Fires once, when a process ends; any number of tasks wait for it.
final class ExitSignal: Sendable {
    private let state = Mutex<(fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func fire() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.fired = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.fired { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}

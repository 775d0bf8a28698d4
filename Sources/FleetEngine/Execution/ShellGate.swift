import FleetModel
import Foundation
import Synchronization

/// The real gate: `/bin/sh -c CMD` with fleet's environment plus the wave's, in a process group
/// of its own with a clean signal mask and default dispositions (fleet blocks and ignores some
/// for itself), its output passed through line by line. At its timeout, and when the task
/// running it is cancelled (a second Ctrl-C), the whole group gets SIGTERM, then SIGKILL 5 s
/// later; once the shell has exited, what is left of its group is killed and its output read for
/// one more second at most, so a background child holding the pipe never holds fleet.
package struct ShellGate: GateRunner {
    let output: @Sendable (String) -> Void

    package init(output: @escaping @Sendable (String) -> Void) {
        self.output = output
    }

    package func check(_ command: String) throws {
        try Self.checkProgram(of: command, option: "--gate", environment: ProcessInfo.processInfo.environment)
    }

    package func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult {
        await run(command, environment: environment, timeout: timeout, input: [])
    }

    /// Runs `command` with `input` on its stdin (at most 64 KiB: it is written before the
    /// command starts; stdin is /dev/null without it).
    package func run(_ command: String, environment: [String: String], timeout: Duration, input: [UInt8]) async
        -> GateResult
    {
        let group = GroupHolder()
        // A thread of its own: the gate blocks while it runs, and GCD's global queues are as wide
        // as the cores and shared with Swift's concurrency.
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread {
                    continuation.resume(
                        returning: runBlocking(
                            command, environment: environment, timeout: timeout, input: input, group: group))
                }.start()
            }
        } onCancel: {
            group.pid.withLock { pid in if let pid { Self.stop(group: pid) } }
        }
    }

    private func runBlocking(
        _ command: String, environment: [String: String], timeout: Duration, input: [UInt8], group: GroupHolder
    ) -> GateResult {
        let started: (pid: pid_t, reading: Int32)
        let environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        switch Self.start(command, environment: environment, input: input) {
        case .success(let value): started = value
        case .failure(let error):
            return GateResult(status: 127, lastLine: "the gate could not be started: \(error.message)")
        }
        group.pid.withLock { $0 = started.pid }
        defer {
            close(started.reading)
            group.pid.withLock { $0 = nil }
        }
        return supervise(started.pid, output: started.reading, until: ContinuousClock.now + timeout)
    }

    /// Reads the gate's output until its shell has exited (then at most one more second), stops
    /// its group at `deadline`, and kills what is left of the group once the shell is gone.
    private func supervise(_ pid: pid_t, output reading: Int32, until deadline: ContinuousClock.Instant) -> GateResult {
        var tail = GateOutput(emit: output)
        var (status, timedOut, open): (Int32?, Bool, Bool) = (nil, false, true)
        var drainUntil: ContinuousClock.Instant?
        while true {
            let now = ContinuousClock.now
            if status == nil, let exited = Self.reap(pid) {
                (status, drainUntil) = (exited, now + .seconds(1))
                Self.signal(group: pid, SIGKILL)
            }
            if status == nil && !timedOut && now >= deadline {
                timedOut = true
                Self.stop(group: pid)
            }
            if let drainUntil, !open || now >= drainUntil { break }
            // At most 100 ms between looks at the shell and the clock; 10 ms once the output ended.
            var poller = pollfd(fd: open ? reading : -1, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, open ? 100 : 10) > 0, open {
                open = tail.read(from: reading)
            }
        }
        return GateResult(status: status ?? 128 + SIGKILL, lastLine: tail.finish(), timedOut: timedOut)
    }

    /// `/bin/sh -c command` with its output on a pipe: the process and the pipe's reading end.
    private static func start(_ command: String, environment: [String: String], input: [UInt8]) -> Result<
        (pid: pid_t, reading: Int32), FleetError
    > {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return .failure(FleetError(String(cString: strerror(errno)))) }
        var stdin: Int32?
        if !input.isEmpty {
            var inputs: [Int32] = [-1, -1]
            guard pipe(&inputs) == 0 else {
                let error = FleetError(String(cString: strerror(errno)))
                close(fds[0])
                close(fds[1])
                return .failure(error)
            }
            // A pipe holds 64 KiB: the input is there before the command reads it.
            _ = input.prefix(65536).withUnsafeBytes { write(inputs[1], $0.baseAddress, $0.count) }
            close(inputs[1])
            stdin = inputs[0]
        }
        let spawned = spawn(["/bin/sh", "-c", command], environment: environment, input: stdin, output: fds[1])
        close(fds[1])
        if let stdin { close(stdin) }
        guard let pid = spawned.pid else {
            close(fds[0])
            return .failure(FleetError(String(cString: strerror(spawned.error))))
        }
        return .success((pid, fds[0]))
    }

    /// SIGTERM to the whole group, SIGKILL 5 s later.
    static func stop(group pid: pid_t) {
        signal(group: pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 5) { signal(group: pid, SIGKILL) }
    }

    private static func signal(group pid: pid_t, _ number: Int32) {
        _ = kill(-pid, number)
    }

    /// The exit status if the process has ended (128 + N for signal N), nil if not yet.
    private static func reap(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return decode(status)
    }

    private static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return decode(status)
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// posix_spawn in a new process group, with an empty signal mask and every signal's
    /// disposition at its default; stdin from `input` (else /dev/null), stdout and stderr to `output`.
    private static func spawn(_ arguments: [String], environment: [String: String], input: Int32?, output: Int32)
        -> (
            pid: pid_t?, error: Int32
        )
    {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, STDIN_FILENO)
        } else {
            posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, output, STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, output, STDERR_FILENO)
        var none = sigset_t()
        var all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        return (code == 0 ? pid : nil, code)
    }

    /// The gate's process group while it runs, for the cancellation handler.
    private final class GroupHolder: Sendable {
        let pid = Mutex<pid_t?>(nil)
    }
}

extension ShellGate {
    /// Words the shell runs itself: a command that starts with one needs no program on disk.
    private static let shellWords: Set<String> = [
        ":", ".", "[", "break", "cd", "command", "continue", "echo", "eval", "exec", "exit", "export", "false",
        "getopts", "hash",
        "printf", "pwd", "read", "readonly", "return", "set", "shift", "test", "times", "trap", "true", "type",
        "ulimit", "umask",
        "unalias", "unset", "wait", "if", "while", "until", "for", "case", "{", "!",
    ]

    /// A command's program must exist and be executable before the run's first request, not
    /// after its first wave. Only the first word is checked (after `NAME=value` assignments);
    /// a shell word, a subshell or an expansion is left to the shell.
    package static func checkProgram(of command: String, option: String, environment: [String: String]) throws {
        let words = command.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard let first = words.first(where: { !$0.contains("=") }) ?? words.first else {
            throw FleetError.usage("the \(option) command is empty; give the command to run.")
        }
        let program = String(first.prefix { !";&|<>()".contains($0) })
        if program.isEmpty || shellWords.contains(program) || program.contains("$") || program.contains("`")
            || program.hasPrefix("~")
            || program.hasPrefix("\"") || program.hasPrefix("'")
        {
            return
        }
        if program.contains("/") {
            guard access(program, X_OK) == 0 else {
                let why =
                    FileManager.default.fileExists(atPath: program)
                    ? "is not executable (chmod +x \(ShellWord.quote(program)))" : "does not exist"
                throw FleetError.usage(
                    "the \(option) program \(program) \(why); nothing was sent. Fix the command and run again.")
            }
            return
        }
        let path = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        guard path.contains(where: { access("\($0)/\(program)", X_OK) == 0 }) else {
            throw FleetError.usage(
                "the \(option) program \(program) is not found in PATH; nothing was sent. Fix the command (or give its path) and run again."
            )
        }
    }
}
/// A gate's output as it comes: each line passed on, only the last line kept, and that line
/// (however long, with or without newlines) bounded, all in time linear in the output.
struct GateOutput {
    /// The most of one line that is kept, its end: halt reasons and `waves.gate_output` stay small.
    static let lineLimit = 64 * 1024
    /// A line longer than this is passed on in pieces.
    static let passLimit = 64 * 1024

    let emit: (String) -> Void
    /// The current line's bytes not passed on yet.
    private var pending: [UInt8] = []
    /// The end of the current line's bytes already passed on (a line longer than `passLimit`).
    private var passed: [UInt8] = []
    private var last: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(emit: @escaping (String) -> Void) {
        self.emit = emit
    }

    /// Reads what is there; false at end of file.
    mutating func read(from fd: Int32) -> Bool {
        let count = buffer.withUnsafeMutableBytes { Platform.read(fd, into: $0) }
        if count < 0 { return errno == EINTR || errno == EAGAIN }
        if count == 0 { return false }
        take(buffer[0..<count])
        return true
    }

    mutating func take(_ chunk: ArraySlice<UInt8>) {
        var start = chunk.startIndex
        while let newline = Self.newline(in: chunk, from: start) {
            pending += chunk[start..<newline]
            endLine()
            start = newline + 1
        }
        pending += chunk[start...]
        if pending.count > Self.passLimit {
            emit(String(decoding: pending, as: UTF8.self))
            // pending alone is longer than what is kept: its end is the line's end so far
            passed = Array(pending.suffix(Self.lineLimit))
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// memchr: a gate may print tens of megabytes.
    private static func newline(in chunk: ArraySlice<UInt8>, from start: Int) -> Int? {
        let offset = start - chunk.startIndex
        let position: Int = chunk.withUnsafeBufferPointer { buffer in
            guard offset < buffer.count, let base = buffer.baseAddress,
                let found = memchr(base + offset, 0x0A, buffer.count - offset)
            else { return -1 }
            return UnsafeRawPointer(found) - UnsafeRawPointer(base)
        }
        return position < 0 ? nil : chunk.startIndex + position
    }

    private mutating func endLine() {
        emit(String(decoding: pending, as: UTF8.self))
        let line = passed.isEmpty ? pending : Array((passed + pending).suffix(Self.lineLimit))
        if line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) {
            last = Array(line.suffix(Self.lineLimit))
        }
        pending.removeAll(keepingCapacity: true)
        passed.removeAll(keepingCapacity: true)
    }

    /// The last non-empty line.
    mutating func finish() -> String {
        if !pending.isEmpty || !passed.isEmpty { endLine() }
        return String(decoding: last, as: UTF8.self)
    }
}

import Foundation
import Synchronization

/// How a gate command ended.
public struct GateResult: Sendable, Equatable {
    /// Its exit status (128 + N when killed by signal N).
    public var status: Int32
    /// Its last line of output, kept as the halt reason.
    public var lastLine: String
    public var timedOut: Bool

    public init(status: Int32, lastLine: String, timedOut: Bool = false) {
        self.status = status
        self.lastLine = lastLine
        self.timedOut = timedOut
    }

    public var passed: Bool { status == 0 && !timedOut }
}

/// Runs `--gate` after a wave: the operator's own check (call quality, alarms) decides whether
/// the rollout goes on.
public protocol GateRunner: Sendable {
    func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult
}

/// The real gate: `/bin/sh -c CMD` with fleet's environment plus the wave's, its output passed
/// through line by line, stopped (SIGTERM, then SIGKILL) when it outlives its timeout.
public struct ShellGate: GateRunner {
    let output: @Sendable (String) -> Void

    public init(output: @escaping @Sendable (String) -> Void) {
        self.output = output
    }

    public func run(_ command: String, environment: [String: String], timeout: Duration) async -> GateResult {
        // A thread of its own: the gate blocks while it runs, and GCD's global queues are as wide
        // as the cores and shared with Swift's concurrency.
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: runBlocking(command, environment: environment, timeout: timeout)) }.start()
        }
    }

    private func runBlocking(_ command: String, environment: [String: String], timeout: Duration) -> GateResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return GateResult(status: 127, lastLine: "the gate could not be started: \(error.localizedDescription)")
        }
        let timedOut = Mutex(false)
        let watchdog = DispatchWorkItem {
            timedOut.withLock { $0 = true }
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout.seconds, execute: watchdog)
        let last = passThrough(pipe.fileHandleForReading)
        process.waitUntilExit()
        watchdog.cancel()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return GateResult(status: status, lastLine: last, timedOut: timedOut.withLock { $0 })
    }

    /// Forwards each line as it comes; returns the last non-empty one.
    private func passThrough(_ handle: FileHandle) -> String {
        var pending = Data()
        var last = ""
        func emit(_ line: Data) {
            let text = String(decoding: line, as: UTF8.self)
            output(text)
            if !text.trimmingCharacters(in: .whitespaces).isEmpty { last = text }
        }
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            pending += chunk
            while let newline = pending.firstIndex(of: 0x0A) {
                emit(pending[pending.startIndex..<newline])
                pending = pending[(newline + 1)...]
            }
        }
        if !pending.isEmpty { emit(pending) }
        return last
    }
}

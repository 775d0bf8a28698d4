import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// One execution of a recorded run: its waves in order, each wave's tasks through the dispatcher,
/// then the wave's bake and gate, and at the end the execution's record (its ending, each
/// space's rate, the tasks the circuit breaker left). The work runs in a child task so a second
/// Ctrl-C can cancel it while the ending is still written from here.
struct RunExecutor: Sendable {
    let database: FleetDatabase
    let dispatch: DispatchSetup
    let gate: any GateRunner
    /// Lines for the operator as the run goes (a wave baking, a gate running).
    let note: @Sendable (String) -> Void
    let handle: RunHandle
    /// The run's tasks, read as it goes, and how many this execution carries out.
    let feed: RunFeed
    let tasks: Int
    let options: ExecutionOptions
    let apiBase: APIBase
    let change: ChangeRecord
    let notifyTimeout: Duration

    private var clock: any FleetClock { dispatch.clock }
    private var stop: StopSignal { dispatch.stop }
    private var progress: RunProgress { dispatch.progress }
    private var runID: Int64 { handle.run.id }

    func execute() async throws -> ExecutionEnd {
        let recorder = RunRecorder(
            database: database, runID: runID, clock: clock, window: dispatch.transports.commitWindow)
        let waves = try database.waves(of: runID)
        progress.update {
            $0.total = tasks
            $0.waves = waves.count > 1 ? waves.count : 0
        }
        var failure: (any Error)?
        var end = ExecutionEnd.interrupted
        do {
            end = try await withThrowingTaskGroup(of: ExecutionEnd.self) { group in
                group.addTask {
                    guard await waitForWindow() else { return .interrupted }
                    await notifier.send(.started, run: handle.run, state: .running)
                    return try await staged(waves, recorder: recorder)
                }
                group.addTask { [stop] in
                    await stop.waitForCancel()
                    throw CancellationError()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch is CancellationError {
            end = .interrupted
        } catch {
            failure = database.runFailure(error, runID: runID)
        }
        do {
            try database.finishExecution(handle, end: end, now: clock.date())
        } catch {
            throw failure ?? database.runFailure(error, runID: runID)
        }
        if failure == nil { await notifyEnd(end) }
        withExtendedLifetime(handle.lock) {}
        if let failure { throw failure }
        return end
    }

    /// The last event of the execution, once its ending is on disk.
    private func notifyEnd(_ end: ExecutionEnd) async {
        switch end {
        case .finished: await notifier.send(.finished, run: handle.run, state: .finished)
        case .halted(let reason): await notifier.send(.halted, run: handle.run, state: .halted, reason: reason)
        case .interrupted: await notifier.send(.interrupted, run: handle.run, state: .interrupted)
        }
    }

    private var notifier: Notifier {
        Notifier(
            command: change.notify, runID: runID, change: change.change, database: database, timeout: notifyTimeout,
            note: note)
    }

    /// `--not-before`: waits for the window to open; false when the operator stopped the run first.
    private func waitForWindow() async -> Bool {
        guard let opens = change.notBefore, opens > clock.date() else { return true }
        note("fleet: waiting for the change window to open at \(WallTime.text(opens)).")
        progress.update { $0.waitingUntil = opens }
        defer { progress.update { $0.waitingUntil = nil } }
        return await sleepUnlessStopped(.milliseconds(Int64(opens.timeIntervalSince(clock.date()) * 1000)))
    }

    /// `--not-after` on the dispatcher's clock.
    private var windowEnd: WindowEnd? {
        change.notAfter.map { end in
            WindowEnd(
                at: clock.now() + .milliseconds(Int64(end.timeIntervalSince(clock.date()) * 1000)),
                reason: ChangeRecord.windowClosed(end))
        }
    }

    private func staged(_ waves: [Wave], recorder: RunRecorder) async throws -> ExecutionEnd {
        try await dispatch.withDispatcher(options, apiBase: apiBase, mode: .apply, recorder: recorder) { dispatcher in
            var book = SpaceBook()
            var start = 0
            var end = ExecutionEnd.finished
            for wave in waves {
                defer { start = wave.endPosition }
                end = try await run(wave, of: waves.count, from: start, dispatcher: dispatcher, book: &book)
                if end != .finished { break }
            }
            try database.recordSpaces(book.report, runID: runID)
            return end
        }
    }

    /// One wave: its tasks still to do, then, unless it had passed already, its bake (but for the
    /// last wave) and its gate.
    private func run(_ wave: Wave, of count: Int, from start: Int, dispatcher: Dispatcher, book: inout SpaceBook)
        async throws -> ExecutionEnd
    {
        progress.update { $0.wave = count > 1 ? wave.number : 0 }
        let positions = start..<wave.endPosition
        let spaces = try await feed.spaces(at: positions)
        let tasks = spaces.reduce(0) { $0 + $1.tasks }
        if tasks > 0 {
            try database.updateWave(runID: runID, number: wave.number, state: .running)
            let limit = options.maxFailures?.limit(total: tasks)
            let batch = try await dispatcher.run(
                feed, spaces, at: positions, failureLimit: limit, windowEnd: windowEnd, spaces: &book)
            try database.markUnreachable(
                batch.unreachable, runID: runID, at: positions, feed.filter, now: clock.date())
            if case .halted(let reason) = batch.end {
                try database.updateWave(runID: runID, number: wave.number, state: .halted)
                return .halted(count > 1 ? "wave \(wave.number) of \(count): \(reason)" : reason)
            }
            if batch.end != .finished { return batch.end }
            let failed = batch.failed
            if count > 1 && wave.number < count && failed > 0 && options.maxFailures == nil && wave.state != .passed {
                try database.updateWave(runID: runID, number: wave.number, state: .halted)
                return .halted("wave \(wave.number) of \(count): \(failed) of \(tasks) projects failed")
            }
        }
        guard wave.state != .passed else { return .finished }
        if wave.number < count, let end = try await bake(wave) { return end }
        if let end = try await gate(wave, of: count) { return end }
        try database.updateWave(runID: runID, number: wave.number, state: .passed)
        if count > 1 { await notifier.send(.wave, run: handle.run, state: .running, wave: wave.number) }
        return stop.isRequested && wave.number < count ? .interrupted : .finished
    }

    /// Waits out `--bake` after a wave, or what is left of it after an interruption; Ctrl-C
    /// during the bake interrupts the run, and `fleet retry` bakes only the rest.
    private func bake(_ wave: Wave) async throws -> ExecutionEnd? {
        guard let seconds = options.bakeSeconds else { return nil }
        let now = clock.date()
        let until = wave.bakeUntil.flatMap(FleetDatabase.date(from:)) ?? now.addingTimeInterval(seconds)
        if wave.bakeUntil == nil {
            try database.updateWave(runID: runID, number: wave.number, state: .baking, bakeUntil: until)
        }
        let left = until.timeIntervalSince(now)
        guard left > 0 else { return nil }
        note("fleet: wave \(wave.number) done; baking until \(FleetDatabase.timestamp(until)) before the next wave.")
        progress.update { $0.bakingUntil = until }
        defer { progress.update { $0.bakingUntil = nil } }
        return await sleepUnlessStopped(.milliseconds(Int64(left * 1000))) ? nil : .interrupted
    }

    /// Sleeps for `duration`; false when the operator stopped the run first.
    private func sleepUnlessStopped(_ duration: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { [clock] in (try? await clock.sleep(for: duration)) != nil }
            group.addTask { [stop] in
                await stop.wait()
                return false
            }
            defer { group.cancelAll() }
            return await group.next()! && !stop.isRequested
        }
    }

    /// Runs `--gate` with the wave's counts in its environment; anything but exit 0 halts the run.
    private func gate(_ wave: Wave, of count: Int) async throws -> ExecutionEnd? {
        guard let command = options.gate else { return nil }
        try database.updateWave(runID: runID, number: wave.number, state: .gating)
        progress.update { $0.gating = true }
        defer { progress.update { $0.gating = false } }
        let counts = try database.waveCounts(runID: runID, wave: wave.number)
        var environment = [
            "FLEET_RUN": "\(runID)", "FLEET_WAVE": "\(wave.number)", "FLEET_WAVES": "\(count)",
            "FLEET_DB": database.path, "FLEET_CHANGE": change.change ?? "",
        ]
        for (name, value) in counts { environment["FLEET_WAVE_\(name.uppercased())"] = "\(value)" }
        note("fleet: wave \(wave.number) of \(count) done; running the gate.")
        let result = await gate.run(
            command, environment: environment, timeout: .milliseconds(Int64(options.gateTimeoutSeconds * 1000)))
        let output = result.lastLine.escapingControlCharacters
        try database.updateWave(
            runID: runID, number: wave.number, state: result.passed ? .passed : .halted,
            gate: (Int(result.status), output))
        if result.passed { return nil }
        let how =
            result.timedOut
            ? "timed out after \(ExecutionOptions.number(options.gateTimeoutSeconds)) s" : "exited \(result.status)"
        return .halted("the gate after wave \(wave.number) \(how)" + (output.isEmpty ? "" : ": \(output)"))
    }
}

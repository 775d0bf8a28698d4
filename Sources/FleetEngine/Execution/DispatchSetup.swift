import FleetModel

/// What every dispatcher of a session shares (how to reach the API, the clock, the operator's
/// stop signal, the progress counts, the jitter's source), and how one is made: on a fresh
/// transport for one execution's options, for as long as `body` runs.
package struct DispatchSetup: Sendable {
    package let transports: any TransportProvider
    package let caFile: String?
    package let clock: any FleetClock
    package let stop: StopSignal
    package let progress: RunProgress
    package let random: @Sendable () -> Double

    package init(
        transports: any TransportProvider, caFile: String?, clock: any FleetClock, stop: StopSignal,
        progress: RunProgress,
        random: @escaping @Sendable () -> Double
    ) {
        self.transports = transports
        self.caFile = caFile
        self.clock = clock
        self.stop = stop
        self.progress = progress
        self.random = random
    }

    package func withDispatcher<T: Sendable>(
        _ options: ExecutionOptions, apiBase: APIBase, mode: StepContext.Mode,
        recorder: (any TaskRecorder)?,
        _ body: @Sendable (Dispatcher) async throws -> T
    ) async throws -> T {
        try await transports.withTransport(TransportOptions(concurrency: options.concurrency, caFile: caFile)) {
            transport in
            let api = SignalWireAPI(
                transport: transport, apiBase: apiBase, timeout: options.timeout, now: { [clock] in clock.date() })
            let dispatcher = Dispatcher(
                api: api, options: options, mode: mode, clock: clock, recorder: recorder, stop: stop,
                progress: progress, random: random)
            return try await body(dispatcher)
        }
    }
}

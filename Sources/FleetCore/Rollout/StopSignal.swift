import Synchronization

/// The operator's Ctrl-C as the executor sees it: `request()` (once) means start nothing new and
/// let requests in flight finish; `cancelInFlight()` (twice) also cancels the execution itself.
public final class StopSignal: Sendable {
    private struct State {
        var requested = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelled: Set<Int> = []
        var cancelInFlight: (@Sendable () -> Void)?
        var inFlightCancelled = false
    }

    private let state = Mutex(State())

    public init() {}

    public var isRequested: Bool { state.withLock { $0.requested } }

    public func request() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.requested = true
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Cancels what `whenCancellingInFlight` registered (the executing task), now or when it is registered.
    public func cancelInFlight() {
        request()
        let action = state.withLock { state -> (@Sendable () -> Void)? in
            state.inFlightCancelled = true
            return state.cancelInFlight
        }
        action?()
    }

    public func whenCancellingInFlight(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            state.cancelInFlight = action
            return state.inFlightCancelled
        }
        if now { action() }
    }

    /// Returns when a stop is requested (at once if it was), or when the calling task is cancelled.
    public func wait() async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.requested || state.cancelled.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}

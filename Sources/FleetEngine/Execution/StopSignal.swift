import FleetModel
import Synchronization

/// The operator's Ctrl-C as the executor sees it: `request()` (once) means start nothing new and
/// let requests in flight finish; `cancelInFlight()` (twice) also cancels the execution itself.
package final class StopSignal: Sendable {
    private struct State {
        var requested = false
        var cancelled = false
        var nextID = 0
        /// Waiters for a stop, and for a cancel, by id.
        var stopWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var cancelWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// Waiters whose task was cancelled before they were registered.
        var gone: Set<Int> = []
    }

    private let state = Mutex(State())

    package init() {}

    package var isRequested: Bool { state.withLock { $0.requested } }

    package func request() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.requested = true
            defer { state.stopWaiters.removeAll() }
            return Array(state.stopWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    package func cancelInFlight() {
        request()
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.cancelled = true
            defer { state.cancelWaiters.removeAll() }
            return Array(state.cancelWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when a stop is requested (at once if it was), or when the calling task is cancelled.
    package func wait() async {
        await wait(for: .stop)
    }

    /// Returns when requests in flight are to be cancelled, or when the calling task is cancelled.
    package func waitForCancel() async {
        await wait(for: .cancel)
    }

    private enum Event: Sendable { case stop, cancel }

    private func wait(for event: Event) async {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if (event == .stop ? state.requested : state.cancelled) || state.gone.remove(id) != nil {
                        return true
                    }
                    if event == .stop {
                        state.stopWaiters[id] = continuation
                    } else {
                        state.cancelWaiters[id] = continuation
                    }
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                let waiter =
                    event == .stop
                    ? state.stopWaiters.removeValue(forKey: id) : state.cancelWaiters.removeValue(forKey: id)
                if waiter == nil { state.gone.insert(id) }
                return waiter
            }
            waiter?.resume()
        }
    }
}

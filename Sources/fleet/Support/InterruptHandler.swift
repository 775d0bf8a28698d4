import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// Ctrl-C (or SIGTERM, SIGHUP) once: stop starting tasks and let requests in flight finish;
/// twice: cancel them too.
final class InterruptHandler: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal, console: Console, resumeHint: String) {
        let count = Counter()
        sources = [SIGINT, SIGTERM, SIGHUP].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if count.increment() == 1 {
                    console.err(
                        "\nfleet: stopping: no new tasks start; requests in flight finish. Press Ctrl-C again to cancel them too."
                    )
                    stop.request()
                } else {
                    console.err("\nfleet: cancelling requests in flight. Finish later with `\(resumeHint)`.")
                    stop.cancelInFlight()
                }
            }
            source.resume()
            return source
        }
    }

    func cancel() {
        for source in sources { source.cancel() }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func increment() -> Int {
            lock.withLock {
                value += 1
                return value
            }
        }
    }
}

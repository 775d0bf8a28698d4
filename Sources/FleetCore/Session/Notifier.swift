import FleetEngine
import FleetModel
import FleetStore
import Foundation

/// `--notify CMD`: `/bin/sh -c CMD` once per event of a run (started, each wave, halted,
/// interrupted, finished), one JSON object on its stdin and `FLEET_EVENT`, `FLEET_RUN`,
/// `FLEET_CHANGE` in its environment; at most `timeout` (then killed), its output passed
/// through up to 64 KiB. A notify that fails is a warning: it never stops nor changes the run.
/// No token reaches it: the event holds counts and reasons, never a request.
struct Notifier: Sendable {
    enum Event: String, Sendable {
        case started, wave, halted, interrupted, finished
    }

    let command: String?
    let runID: Int64
    let change: String?
    let database: FleetDatabase
    let timeout: Duration
    let note: @Sendable (String) -> Void

    /// The JSON object a notify command reads.
    // Its properties are the JSON keys of the schema, snake_case as written.
    // swift-format-ignore: AlwaysUseLowerCamelCase
    struct Message: Encodable {
        var event: String
        var run: Int64
        @NullEncoded var change: String?
        var state: String
        @NullEncoded var wave: Int?
        var counts: TaskCounts
        @NullEncoded var reason: String?
    }

    func send(_ event: Event, run: Run, state: RunState, wave: Int? = nil, reason: String? = nil) async {
        guard let command else { return }
        let message: String
        do {
            message = try ReportJSON.encode(
                Message(
                    event: event.rawValue, run: runID, change: change, state: state.rawValue, wave: wave,
                    counts: try database.counts(of: run, state: state), reason: reason))
        } catch {
            note("fleet: warning: the \(event.rawValue) event was not sent to --notify: \(error).")
            return
        }
        let passed = PassedOutput(limit: 64 * 1024, note: note)
        let result = await ShellGate(output: { passed.emit($0) }).run(
            command,
            environment: [
                "FLEET_EVENT": event.rawValue, "FLEET_RUN": "\(runID)", "FLEET_CHANGE": change ?? "",
                "FLEET_DB": database.path,
            ],
            timeout: timeout, input: Array((message + "\n").utf8))
        guard !result.passed else { return }
        let how =
            result.timedOut
            ? "took over \(String(format: "%g", timeout.seconds)) s and was stopped" : "exited \(result.status)"
        let output = result.lastLine.escapingControlCharacters
        note(
            "fleet: warning: --notify for the \(event.rawValue) event of run \(runID) \(how)\(output.isEmpty ? "" : ": \(output)"); the run goes on."
        )
    }

    /// Passes a notify command's lines on until `limit` bytes, then says it cut the rest.
    private final class PassedOutput: @unchecked Sendable {
        let limit: Int
        let note: @Sendable (String) -> Void
        private var count = 0
        private let lock = NSLock()

        init(limit: Int, note: @escaping @Sendable (String) -> Void) {
            self.limit = limit
            self.note = note
        }

        func emit(_ line: String) {
            let pass = lock.withLock { () -> Bool? in
                defer { count += line.utf8.count + 1 }
                if count + line.utf8.count + 1 <= limit { return true }
                return count <= limit ? false : nil
            }
            switch pass {
            case true?: note(line)
            case false?: note("fleet: (the --notify output past 64 KiB is left out)")
            case nil: break
            }
        }
    }
}

import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation
import Synchronization

/// Where a command prints: results to stdout, progress, notes and errors to stderr. The live
/// console writes with write(2) and treats a closed pipe as "nobody is reading": it stops writing
/// to that stream and carries on, so `fleet status | head -1` or a closed terminal never crashes
/// fleet nor stops a run. Tests use a capturing console.
final class Console: Sendable {
    struct Streams: Sendable {
        var out: @Sendable (String) -> Void
        var err: @Sendable (String) -> Void
    }

    private let streams: Streams
    /// stderr is a terminal: the progress line redraws in place and may use colour.
    let stderrIsTerminal: Bool
    /// stdin and stderr are terminals: fleet may ask the operator to confirm.
    let interactive: Bool
    /// Colour on stderr (a terminal, and NO_COLOR unset).
    let color: Bool
    let columns: @Sendable () -> Int?
    /// Reads the operator's answer to a question (a line of stdin).
    let answer: @Sendable () -> String?

    init(
        streams: Streams, stderrIsTerminal: Bool = false, interactive: Bool = false, color: Bool = false,
        columns: @escaping @Sendable () -> Int? = { nil }, answer: @escaping @Sendable () -> String? = { nil }
    ) {
        self.streams = streams
        self.stderrIsTerminal = stderrIsTerminal
        self.interactive = interactive
        self.color = color
        self.columns = columns
        self.answer = answer
    }

    func out(_ line: String) { streams.out(line + "\n") }
    func err(_ line: String) { streams.err(line + "\n") }
    /// Raw text on stderr: the progress line's own redraws, a question.
    func errRaw(_ text: String) { streams.err(text) }
    /// Raw text on stdout: a file's worth (CSV).
    func outRaw(_ text: String) { streams.out(text) }

    static func live(environment: [String: String]) -> Console {
        signal(SIGPIPE, SIG_IGN)
        let out = Descriptor(STDOUT_FILENO)
        let err = Descriptor(STDERR_FILENO)
        // A terminal that cannot move the cursor (TERM=dumb) gets plain lines, never escapes.
        let terminal = isatty(STDERR_FILENO) == 1
        let capable = terminal && environment["TERM"] != "dumb"
        return Console(
            streams: Streams(out: out.write, err: err.write), stderrIsTerminal: capable,
            interactive: terminal && isatty(STDIN_FILENO) == 1,
            color: capable && (environment["NO_COLOR"] ?? "").isEmpty,
            columns: { Descriptor.columns(environment: environment) }, answer: { readLine() })
    }

    /// One output descriptor, written whole with write(2); after an error (EPIPE, EIO, ENOSPC)
    /// it is closed to fleet's writes.
    final class Descriptor: Sendable {
        private let fd: Int32
        private let broken = Mutex(false)

        init(_ fd: Int32) { self.fd = fd }

        @Sendable func write(_ text: String) {
            broken.withLock { broken in
                guard !broken else { return }
                var bytes = Array(text.utf8)[...]
                while !bytes.isEmpty {
                    let written = bytes.withUnsafeBytes { Platform.write(fd, $0) }
                    if written < 0 && errno == EINTR { continue }
                    if written <= 0 {
                        broken = true
                        return
                    }
                    bytes = bytes.dropFirst(written)
                }
            }
        }

        static func columns(environment: [String: String]) -> Int? {
            Platform.terminalColumns(STDERR_FILENO) ?? environment["COLUMNS"].flatMap(Int.init)
        }
    }
}

/// A console that keeps what was printed, for in-process command tests and the demo's checks.
final class CapturedOutput: Sendable {
    private let state = Mutex((out: "", err: ""))

    var stdout: String { state.withLock { $0.out } }
    var stderr: String { state.withLock { $0.err } }

    func console(interactive: Bool = false, answer: @escaping @Sendable () -> String? = { nil }) -> Console {
        Console(
            streams: Console.Streams(
                out: { text in self.state.withLock { $0.out += text } },
                err: { text in self.state.withLock { $0.err += text } }),
            interactive: interactive, answer: answer)
    }
}

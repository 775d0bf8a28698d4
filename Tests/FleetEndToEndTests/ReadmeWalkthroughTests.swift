import FleetModel
import FleetTestSupport
import Foundation
import Synchronization
import Testing

/// The README's walkthrough, kept true: every `$ …` line of its code blocks is run as the reader
/// would (the built binary as `fleet`, in a folder holding the shipped samples, against the
/// simulator the walkthrough starts), and its output compared with the README's, times,
/// durations, rates and hashes aside.
@Suite struct ReadmeWalkthroughTests {
    @Test func everyWalkthroughCommandPrintsWhatTheReadmeShows() async throws {
        let steps = try Walkthrough.steps(
            readme: String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8))
        #expect(steps.count >= 30, "the walkthrough was found")
        let folder = try TemporaryDirectory()
        try FileManager.default.copyItem(atPath: repositoryRoot + "/samples", toPath: folder.file("samples"))
        var shell = Walkthrough.Shell(folder: folder.path)
        defer { shell.stop() }

        var rerecorded: [(step: Walkthrough.Step, output: String)] = []
        for step in steps {
            let actual = try await shell.run(step)
            let same =
                Walkthrough.normalised(actual, port: shell.port) == Walkthrough.normalised(step.output, port: nil)
            if !same {
                rerecorded.append(
                    (step, actual.replacingOccurrences(of: "127.0.0.1:\(shell.port)", with: "127.0.0.1:8443")))
            }
            #expect(same, "README: \(step.command)")
        }
        // FLEET_README_RECORD=1 writes what the walkthrough printed into the README where it differs.
        if ProcessInfo.processInfo.environment["FLEET_README_RECORD"] == "1" {
            try Walkthrough.record(rerecorded, in: repositoryRoot + "/README.md")
        }
    }

    @Test func aWalkthroughOutputEditedInTheReadmeNoLongerMatches() throws {
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let step = try #require(
            try Walkthrough.steps(readme: readme).first { $0.command == "fleet import samples/projects.csv" })
        let edited = try #require(
            try Walkthrough.steps(
                readme: readme.replacingOccurrences(of: "40 new, 0 token changed", with: "41 new, 0 token changed")
            )
            .first { $0.command == step.command })

        #expect(Walkthrough.normalised(edited.output, port: nil) != Walkthrough.normalised(step.output, port: nil))
        #expect(
            Walkthrough.normalised("started 2026-11-30T16:22:52.877Z, took 0.5 s", port: nil)
                == Walkthrough.normalised("started 2026-12-02T01:00:00.001Z, took 12.25 s", port: nil),
            "times and durations differ from run to run")
    }
}

enum Walkthrough {
    struct Step {
        var command: String
        var output: String
        /// Where its output is in the README (line indices, trailing blank lines left out).
        var lines: Range<Int>
    }

    /// Every `$ command` of the code blocks between "## Walkthrough" and the next section, with
    /// the lines shown under it.
    static func steps(readme: String) throws -> [Step] {
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let start = lines.firstIndex(of: "## Walkthrough") else { throw Failure("no walkthrough in the README") }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("## ") } ?? lines.count
        var steps: [Step] = []
        var inBlock = false
        // The step whose output the lines are; none at a block's start (a block without a `$ `
        // line, such as a crontab line, is not a command).
        var current: Int?
        for index in start..<end {
            let line = lines[index]
            if line.hasPrefix("```") {
                inBlock.toggle()
                current = nil
            } else if inBlock && line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), output: "", lines: (index + 1)..<(index + 1)))
                current = steps.count - 1
            } else if inBlock, let current {
                steps[current].output += line + "\n"
                if !line.isEmpty { steps[current].lines = steps[current].lines.lowerBound..<(index + 1) }
            }
        }
        return steps.map {
            Step(command: $0.command, output: $0.output.trimmingCharacters(in: .newlines), lines: $0.lines)
        }
    }

    /// The walkthrough runs as `ops` on this machine; the README says `ops@bastion`.
    static let machineOperator = "ops@\(Operator.current(environment: [:]).host)"
    static let readmeOperator = "ops@bastion"

    /// Replaces each step's output in the README file at `path` with the one given.
    static func record(_ outputs: [(step: Step, output: String)], in path: String) throws {
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false
        )
        .map(String.init)
        for (step, output) in outputs.sorted(by: { $0.step.lines.lowerBound > $1.step.lines.lowerBound }) {
            let text = output.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .newlines)
                .replacingOccurrences(of: Self.machineOperator, with: Self.readmeOperator)
            lines.replaceSubrange(
                step.lines,
                with: text.isEmpty ? [] : text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            )
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// The output as compared: times, durations, rates and hashes replaced by placeholders, the
    /// simulator's port by the README's, runs of spaces (table padding) by one.
    static func normalised(_ text: String, port: Int?) -> String {
        var text = text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .newlines)
        if let port { text = text.replacingOccurrences(of: "127.0.0.1:\(port)", with: "127.0.0.1:8443") }
        // Who ran it: the README's operator, whatever this machine is called.
        text = text.replacingOccurrences(of: machineOperator, with: readmeOperator)
        let rules: [(String, String)] = [
            (#"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#, "<time>"),
            (#"\d{4}-\d\d-\d\d \d\d:\d\d [+-]\d\d:\d\d"#, "<time>"),
            (#"\b\d\d:\d\d:\d\d\b"#, "<clock>"),
            (#"\b\d+(\.\d+)? (s|ms)\b"#, "<duration>"),
            (#"\b\d+(\.\d+)? (projects|requests)/s\b"#, "<rate>"),
            (#"sha256 [0-9a-f]{12}\b"#, "sha256 <hash>"),
            (#" {2,}"#, " "),
        ]
        for (pattern, replacement) in rules {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The reader's terminal: a folder, the variables exported so far, and the simulator once
    /// started.
    struct Shell {
        let folder: String
        var exports: [String] = []
        var simulator: Process?
        var port = 0

        init(folder: String) { self.folder = folder }

        mutating func run(_ step: Step) async throws -> String {
            if step.command.hasPrefix("fleet simulate ") { return try await startSimulator(step.command) }
            let command = step.command.replacingOccurrences(of: "127.0.0.1:8443", with: "127.0.0.1:\(port)")
            if command.hasPrefix("cat "), !FileManager.default.fileExists(atPath: folder + "/" + command.dropFirst(4)) {
                try save(String(command.dropFirst(4)), step.output)
            }
            if command.hasPrefix("export ") {
                exports.append(command)
                return ""
            }
            return try await Self.output(of: (exports + [command]).joined(separator: "; "), in: folder)
        }

        /// A file the README shows with `cat` is one it tells the reader to save: it is saved
        /// (executable) from what the README shows, then shown.
        func save(_ name: String, _ content: String) throws {
            let path = folder + "/" + name
            try (content + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }

        /// Starts `fleet simulate` on a free port (the README's is 8443) and returns its first
        /// lines once it listens.
        private mutating func startSimulator(_ command: String) async throws -> String {
            let process = Self.process(
                "exec " + command.replacingOccurrences(of: "--port 8443", with: "--port 0"), in: folder)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            let lines = Mutex("")
            let ready = AsyncStream<String>.makeStream()
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                let text = lines.withLock { text in
                    text += String(decoding: data, as: UTF8.self)
                    return text
                }
                if text.contains("(Ctrl-C stops)\n") || data.isEmpty {
                    ready.continuation.yield(text)
                    ready.continuation.finish()
                }
            }
            try process.run()
            simulator = process
            var text = ""
            for await lines in ready.stream { text = lines }
            pipe.fileHandleForReading.readabilityHandler = nil
            guard let match = text.firstMatch(of: /127\.0\.0\.1:(\d+)\//), let port = Int(match.1) else {
                throw Failure("the simulator did not start: \(text)")
            }
            self.port = port
            return text
        }

        func stop() {
            simulator?.terminate()
            simulator?.waitUntilExit()
        }

        static func process(_ script: String, in folder: String) -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            process.currentDirectoryURL = URL(fileURLWithPath: folder)
            var environment = ProcessInfo.processInfo.environment
            for name in ["FLEET_DB", "FLEET_API_BASE", "FLEET_CA_FILE", "FLEET_KEY", "TERM"] {
                environment.removeValue(forKey: name)
            }
            let binaries = URL(fileURLWithPath: FleetBinary.path).deletingLastPathComponent().path
            environment["PATH"] = binaries + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
            (environment["LOGNAME"], environment["USER"]) = ("ops", "ops")
            process.environment = environment
            process.standardInput = FileHandle.nullDevice
            return process
        }

        /// What `script` prints on stdout and stderr together, in the order it printed them.
        static func output(of script: String, in folder: String) async throws -> String {
            let process = process(script, in: folder)
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let data = try pipe.fileHandleForReading.readToEnd() ?? Data()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }
}

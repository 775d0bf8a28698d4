import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation
import GRDB

/// What a command needs from the world, given rather than reached for: where it prints, the
/// environment, the clock, how it reaches the API, the operator's stop signal, the gate runner.
/// `run()` builds the live one; tests and the demo build their own and call the core in-process.
struct CommandContext: Sendable {
    var console: Console
    var environment: [String: String]
    var clock: any FleetClock
    var stop: StopSignal
    var transports: any TransportProvider
    var random: @Sendable () -> Double
    /// Who runs the command (login and host), recorded on holds and executions.
    var who: Operator
    /// Installs the Ctrl-C handlers for the length of an execution (the live process only).
    var handlesSignals: Bool

    static func live() -> CommandContext {
        let environment = ProcessInfo.processInfo.environment
        return CommandContext(
            console: .live(environment: environment), environment: environment, clock: SystemClock(),
            stop: StopSignal(),
            transports: HTTPTransportProvider(), random: { [jitter = JitterSource()] in jitter.next() },
            who: .current(environment: environment), handlesSignals: true)
    }

    /// A variable of the environment, empty counting as unset.
    func variable(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    var gate: any GateRunner {
        ShellGate(output: { [console] line in console.err(line) })
    }
}

/// A fleet subcommand: its core takes a context, so it runs the same in the binary, in tests and
/// in the demo.
protocol FleetCommand: AsyncParsableCommand {
    func run(in context: CommandContext) async throws -> ExitStatus
}

extension FleetCommand {
    func run() async throws {
        let status = await CommandRunner.perform(self, in: .live())
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

enum CommandRunner {
    /// Runs a command's core; a `FleetError` becomes its lines on stderr and its exit status, a
    /// database or unexpected error one sentence.
    static func perform(_ command: some FleetCommand, in context: CommandContext) async -> ExitStatus {
        do {
            return try await command.run(in: context)
        } catch let error as FleetError {
            for line in error.details { context.console.err(line) }
            context.console.err("fleet: " + error.message)
            return error.status
        } catch let error as DatabaseError {
            let failure = FleetDatabase.failure(error, path: "the database", doing: "use")
            context.console.err("fleet: " + failure.message)
            return failure.status
        } catch is CancellationError {
            context.console.err("fleet: cancelled.")
            return .failure
        } catch {
            context.console.err(
                "fleet: internal error: \(String(describing: error).escapingControlCharacters). Please report it.")
            return .internalError
        }
    }

    /// Parses `arguments` as the command line after `fleet` and runs the command in this process,
    /// as if typed; returns its exit status. Help and version requests print and return 0.
    static func run(_ arguments: [String], in context: CommandContext) async -> Int32 {
        if let problem = CommandLineCorrections.problem(arguments) {
            context.console.err("fleet: " + problem)
            return ExitStatus.usage.rawValue
        }
        do {
            var command = try Fleet.parseAsRoot(arguments)
            guard let fleetCommand = command as? any FleetCommand else {
                // `help`, `--help` on a subcommand: argument-parser's own command, which throws
                // the help it shows.
                try command.run()
                return ExitStatus.success.rawValue
            }
            return await perform(fleetCommand, in: context).rawValue
        } catch {
            let message = CommandLineCorrections.message(Fleet.fullMessage(for: error))
            let code = Fleet.exitCode(for: error)
            if code == .success { context.console.out(message) } else { context.console.err(message) }
            return code.rawValue
        }
    }
}

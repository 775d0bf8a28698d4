import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore

struct Retry: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rerun every task of a run (default: the latest) that did not succeed.",
        discussion: """
            Reruns the tasks that are failed, pending (halted, interrupted, left by the circuit \
            breaker, or killed) or were left running by a dead process, with the run's recorded \
            template and the inventory's current credentials, so a corrected token can be imported \
            and retried. With --pending, only the tasks never carried to an end (not the failed ones), \
            so a run halted by its failures can be finished. Projects disabled since the run are \
            skipped, and said. The attempts are added to the same run, as a new execution.

            The run's recorded API base is used; a different --api-base or FLEET_API_BASE is refused. \
            Options not given are the run's recorded ones; --max-failures counts this execution's \
            failures, as a share of the tasks it reruns. A staged run resumes at its first wave not \
            done (a bake that had finished is not repeated). A run being executed by another process \
            is refused, and so is a run that was rolled back (a retry would write over the rollback: \
            start a new rollout instead). A run with nothing left to do records no execution.

            Example:
              $ fleet import fixed-tokens.csv
              $ fleet retry 12
              $ fleet retry 12 --pending
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(
        help: ArgumentHelp("The run id (default: the latest run).", valueName: "run"), completion: Completions.runs)
    var run: Int64?

    @Flag(help: "Only the tasks never carried to an end (pending), not the failed ones.")
    var pending = false

    @OptionGroup var execution: ExecutionFlags

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.write, context)
        let session = try api.session(database, context)
        let recorded = try database.requireRun(run)
        let options = execution.anyGiven ? execution.options(over: recorded.options) : nil
        guard let prepared = try session.prepareRetry(recorded.id, options: options, pendingOnly: pending) else {
            let counts = try database.counts(of: recorded, state: database.effectiveState(of: recorded))
            let left = counts.failed + counts.pending + counts.running
            context.console.out(
                "run \(recorded.id) has nothing to retry: \(counts.succeeded) succeeded, \(counts.unchanged) unchanged"
                    + (left > 0 ? ", \(left) left alone (disabled since the run, or written by a later run)" : "")
                    + "; nothing was sent or recorded.")
            return left > 0 ? .failure : .success
        }
        return try await RunConsole.run(
            prepared, session: session, flags: execution, label: "retry", resume: "retry \(recorded.id)",
            database: self.database, context: context)
    }
}

import ArgumentParser
import FleetCore
import FleetEngine
import FleetModel
import FleetStore

struct Rollout: FleetCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a template to the selected projects; records a new run.",
        discussion: """
            Renders the template for every selected project first: any problem (unknown key, bad \
            value, a placeholder a project cannot fill) is reported and nothing is sent (exit 65). \
            Then it says what it is about to do (how many projects, in how many spaces, where, with \
            which options) and, on a terminal, asks to go on (--yes does not ask); without a terminal it \
            refuses unless --yes is given (exit 64, nothing sent or recorded). Per project: GET \
            the profile, merge the template over it, skip it if nothing changes (unless --force), PUT \
            the whole merged profile, and check the answer. Fields held with `fleet hold` keep their \
            live value. --exclude-space, --exclude-tag and --exclude-project leave projects out, \
            --projects-from takes a ticket's list. The profile before and after is stored, so \
            `fleet rollback RUN` can undo the run. Tasks take the spaces in turn, and each space has \
            its own adaptive rate, never above --rate. With --plan, it writes exactly the bodies of a \
            plan saved by `fleet plan --out` to its projects; a project whose live profile changed \
            since the plan is not written and fails as conflict.

            Failures of kind rate_limited, server, timeout and network are retried with exponential \
            backoff and full jitter (Retry-After wins); the others fail at once. A space whose host \
            cannot be reached, or whose every token is refused, is stopped by the circuit breaker \
            (its tasks stay pending); when every space is stopped the run halts. Staged rollouts: \
            --waves (or --canary), --bake, --gate and --rollback-on-halt. Ctrl-C once stops starting \
            tasks and lets requests in flight finish; twice cancels them. Either way, and after \
            kill -9, `fleet retry` finishes the run.

            The change record: --change (or FLEET_CHANGE) and --reason are recorded on the run with \
            who ran it (login and host); --not-before waits for the window to open, --not-after \
            starts no task after it closes (the run halts; `fleet retry` goes on); --notify runs a \
            command with one JSON event on its stdin per event of the run (started, wave, halted, \
            interrupted, finished); it never stops the run. `fleet report RUN` writes the record.

            Example:
              $ fleet rollout profile.json --tag prod --canary 10 --max-failures 5%
              $ fleet rollout profile.json --waves 10,10%,50%,100% --bake 10m \\
                  --gate ./check-calls.sh --rollback-on-halt --yes
              $ fleet rollout profile.json --projects-from ticket.txt --exclude-tag frozen
              $ fleet rollout --plan plan.json --change CHG-2291 --not-after 04:00 \\
                  --notify 'curl -sS --data-binary @- "$WEBHOOK_URL"'
            """)

    @OptionGroup var database: DatabaseOption

    @OptionGroup var api: APIOptions

    @Argument(help: ArgumentHelp("The template (or --plan).", valueName: "template.json"), completion: Completions.json)
    var template: String?

    @Option(
        help: ArgumentHelp(
            "Apply exactly a plan saved by `fleet plan --out` (less than 24 hours old).", valueName: "plan.json"),
        completion: Completions.json)
    var plan: String?

    @OptionGroup var selection: SelectionOptions

    @OptionGroup var execution: ExecutionFlags

    @Flag(name: .customLong("dry-run"), help: "Render and validate every body; send nothing, record nothing.")
    var dryRun = false

    func validate() throws {
        if (template == nil) == (plan == nil) {
            throw ValidationError("give a template, or --plan PLAN.json, but not both.")
        }
        if plan != nil && !selection.isEmpty {
            throw ValidationError(
                "a plan names its projects; --space, --tag, --project, --projects-from and --exclude-… go with a template."
            )
        }
    }

    func run(in context: CommandContext) async throws -> ExitStatus {
        let database = try database.open(.write, context)
        let prepared: PreparedRun
        let session: FleetSession
        if let plan {
            let given = try api.resolved(context)
            let file = try PlanFile.load(path: plan, apiBase: given.given ? given.base : nil, now: context.clock.date())
            session = try api.session(database, context, apiBase: try APIBase(file.body.api_base))
            prepared = try session.prepareRollout(plan: file, options: execution.options())
        } else {
            let template = try Template.load(path: template!)
            session = try api.session(database, context)
            prepared = try session.prepareRollout(
                template, selection: try selection.selection(in: database), options: execution.options())
        }
        if dryRun {
            let what =
                template.map {
                    "\($0) renders to a valid body for all \(prepared.preflight.projects) selected projects"
                }
                ?? "the plan would write \(prepared.preflight.projects) projects"
            context.console.out("dry run: \(what); nothing was sent.")
            return .success
        }
        return try await RunConsole.run(
            prepared, session: session, flags: execution, label: "rollout", resume: "retry", database: self.database,
            context: context)
    }
}

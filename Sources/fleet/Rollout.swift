import ArgumentParser
import FleetCore

struct Rollout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply a template to the selected projects; records a new run.",
        discussion: """
            Renders the template for every selected project first: any problem (unknown key, bad \
            value, a placeholder a project cannot fill) is listed per project and nothing is sent \
            (exit 65). Then, per project: GET the profile, merge the template over it, skip it if \
            nothing changes (unless --force), PUT the whole merged profile, and check the answer. \
            The profile before and after is stored, so `fleet rollback RUN` can undo the run. \
            Tasks take the spaces in turn, so --rate (per space) does not hold a run over many \
            spaces to one space's rate.

            Failures of kind rate_limited, server, timeout and network are retried with exponential \
            backoff and full jitter (Retry-After wins); unauthorized, validation and protocol fail at \
            once. Ctrl-C once stops starting tasks and lets requests in flight finish; twice cancels \
            them. Either way, and after kill -9, `fleet retry` finishes the run.

            Example:
              $ fleet rollout profile.json --tag prod --concurrency 32 --canary 10 --max-failures 5%
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The template.", valueName: "template.json"))
    var template: String

    @OptionGroup var selection: SelectionOptions

    @OptionGroup var execution: ExecutionFlags

    @Flag(name: .customLong("dry-run"), help: "Render and validate every body; send nothing, record nothing.")
    var dryRun = false

    func run() async throws {
        try await Console.perform {
            let template = try Template.load(path: template)
            let session = try FleetSession.live(global)
            let options = execution.options()
            let selection = selection.selection
            let result = try await RunEnding.execute(session: session, global: global, quiet: execution.quiet || dryRun, label: "rollout") {
                try await session.rollout(template, selection: selection, options: options, dryRun: dryRun)
            }
            switch result {
            case .dryRun(let count):
                Console.out("dry run: \(template.name) renders to a valid body for all \(count) selected projects; nothing was sent.")
                return .success
            case .executed(let runID, let end):
                return try RunEnding.report(runID: runID, end: end, session: session, global: global, json: execution.json)
            }
        }
    }
}

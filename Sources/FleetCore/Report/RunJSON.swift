import FleetModel
import FleetStore

/// A run as every JSON output shows it: the `run` of `fleet status --json`, each item of
/// `fleet runs --json`, and the `run` of each entry of `fleet history --json`, one shape for all
/// three (`template_name`, the options with the README's names, its counts).
// Its properties are the JSON keys of the schema, snake_case as written.
// swift-format-ignore: AlwaysUseLowerCamelCase
package struct RunJSON: Encodable, Sendable {
    var id: Int64
    var kind: String
    var template_name: String
    var template_sha256: String
    var state: String
    var started_at: String
    @NullEncoded var finished_at: String?
    @NullEncoded var api_base: String?
    var options: OptionsJSON
    var executions: Int
    var duration_s: Double
    @NullEncoded var halt_reason: String?
    @NullEncoded var rollback_of: Int64?
    @NullEncoded var rolled_back_by: Int64?
    var counts: TaskCounts
    @NullEncoded var change: String?
    @NullEncoded var reason: String?
    var operators: [OperatorJSON]

    package init(_ summary: RunSummary) {
        let run = summary.run
        id = run.id
        kind = run.kind.rawValue
        template_name = run.templateName
        template_sha256 = run.templateSHA256
        state = summary.state.rawValue
        started_at = run.startedAt
        finished_at = run.finishedAt
        api_base = run.apiBase
        options = OptionsJSON(run.options)
        executions = summary.executions
        duration_s = (summary.duration * 1000).rounded() / 1000
        halt_reason = summary.state == .halted ? run.haltReason : nil
        rollback_of = run.rollbackOf
        rolled_back_by = summary.rolledBackBy
        counts = summary.counts
        change = run.changeID
        reason = run.reason
        operators = summary.executionRecords.map(OperatorJSON.init)
    }
}

/// Who ran one execution of a run, when, and under which change.
// Its properties are the JSON keys of the schema, snake_case as written.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct OperatorJSON: Encodable, Sendable {
    var execution: Int
    @NullEncoded var user: String?
    @NullEncoded var host: String?
    var started_at: String
    @NullEncoded var finished_at: String?
    @NullEncoded var change: String?
    @NullEncoded var reason: String?

    init(_ execution: Execution) {
        self.execution = execution.number
        user = execution.login
        host = execution.host
        started_at = execution.startedAt
        finished_at = execution.finishedAt
        change = execution.changeID
        reason = execution.reason
    }
}

/// The recorded options with the README's option names.
// Its properties are the JSON keys of the schema, snake_case as written.
// swift-format-ignore: AlwaysUseLowerCamelCase
struct OptionsJSON: Encodable, Sendable {
    var concurrency: Int
    var rate: Double
    var max_attempts: Int
    var timeout: Double
    var waves: [String]?
    var max_failures: String?
    var bake: Double?
    var gate: String?
    var rollback_on_halt: Bool
    var force: Bool

    init(_ options: ExecutionOptions) {
        concurrency = options.concurrency
        rate = options.rate
        max_attempts = options.maxAttempts
        timeout = options.timeoutSeconds
        waves = options.isStaged ? options.waveEnds.map(\.description) : nil
        max_failures = options.maxFailures?.description
        bake = options.bakeSeconds
        gate = options.gate
        rollback_on_halt = options.rollbackOnHalt
        force = options.force
    }
}

import FleetModel

/// Where a dispatcher's tasks come from: in run order, a window at a time, so a run of 1,000,000
/// tasks holds a few thousand in memory, not all of them.
package protocol TaskFeed: Sendable {
    /// The spaces with tasks to do at `positions`, in the order of their first task.
    func spaces(at positions: Range<Int>) async throws -> [FeedSpace]
    /// Up to `limit` tasks to do at `positions`, in run order.
    func tasks(at positions: Range<Int>, limit: Int) async throws -> [TaskWork]
}

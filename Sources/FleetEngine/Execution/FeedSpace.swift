/// One space of a batch: how many tasks it has to do, and where the first and last of them are.
package struct FeedSpace: Sendable, Equatable {
    package var name: String
    package var tasks: Int
    package var positions: ClosedRange<Int>

    package init(name: String, tasks: Int, positions: ClosedRange<Int>) {
        self.name = name
        self.tasks = tasks
        self.positions = positions
    }
}

import FleetModel

/// A feed of work already in memory: a plan's reads, which record nothing to read back.
package struct ArrayFeed: TaskFeed {
    private let work: [TaskWork]

    package init(_ work: [TaskWork]) {
        self.work = work.sorted { $0.position < $1.position }
    }

    package func spaces(at positions: Range<Int>) -> [FeedSpace] {
        var spaces: [FeedSpace] = []
        var index: [String: Int] = [:]
        for item in slice(at: positions) {
            if let known = index[item.project.space] {
                spaces[known].tasks += 1
                spaces[known].positions = spaces[known].positions.lowerBound...item.position
            } else {
                index[item.project.space] = spaces.count
                spaces.append(FeedSpace(name: item.project.space, tasks: 1, positions: item.position...item.position))
            }
        }
        return spaces
    }

    package func tasks(at positions: Range<Int>, limit: Int) -> [TaskWork] {
        Array(slice(at: positions).prefix(limit))
    }

    /// The work at `positions`, found by halving.
    private func slice(at positions: Range<Int>) -> ArraySlice<TaskWork> {
        func first(atOrAfter position: Int) -> Int {
            var (low, high) = (0, work.count)
            while low < high {
                let middle = (low + high) / 2
                if work[middle].position < position { low = middle + 1 } else { high = middle }
            }
            return low
        }
        return work[first(atOrAfter: positions.lowerBound)..<first(atOrAfter: positions.upperBound)]
    }
}

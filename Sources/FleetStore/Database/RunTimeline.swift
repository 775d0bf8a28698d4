import FleetModel
import Foundation
import GRDB

/// When a run's requests went and its tasks ended, per space: what `fleet report` charts.
package struct RunTimeline: Sendable {
    package struct Space: Sendable {
        package var firstRequest: Date?
        package var lastRequest: Date?
        /// When each task carried to an end (succeeded, unchanged, failed) ended.
        package var completions: [Date] = []
        /// When each request answered 429 was sent.
        package var throttled: [Date] = []
    }

    package var spaces: [String: Space] = [:]

    /// The span of the whole chart: the first request to the last request or completion.
    package var span: (start: Date, end: Date)? {
        let starts = spaces.values.compactMap(\.firstRequest)
        let ends = spaces.values.flatMap {
            ($0.completions.max().map { [$0] } ?? []) + ($0.lastRequest.map { [$0] } ?? [])
        }
        guard let start = starts.min(), let end = ends.max() else { return nil }
        return (start, max(end, start.addingTimeInterval(0.001)))
    }
}

extension FleetDatabase {
    /// The run's timeline: every attempt's time (the first and last per space, the 429s) and every
    /// ended task's.
    package func timeline(of runID: Int64) throws -> RunTimeline {
        try writer.read { db in
            var timeline = RunTimeline()
            let join = "JOIN projects p ON p.id = t.project_ref JOIN spaces s ON s.id = p.space_id"
            let attempts = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.name, a.started_at, a.http_status FROM attempts a JOIN tasks t ON t.id = a.task_id \(join)
                    WHERE t.run_id = ?
                    """, arguments: [runID])
            while let row = try attempts.next() {
                guard let at = Self.date(from: row[1]) else { continue }
                let space: String = row[0]
                var entry = timeline.spaces[space, default: RunTimeline.Space()]
                entry.firstRequest = min(entry.firstRequest ?? at, at)
                entry.lastRequest = max(entry.lastRequest ?? at, at)
                if (row[2] as Int?) == 429 { entry.throttled.append(at) }
                timeline.spaces[space] = entry
            }
            let ended = try Row.fetchCursor(
                db,
                sql: """
                    SELECT s.name, t.updated_at FROM tasks t \(join)
                    WHERE t.run_id = ? AND t.state IN ('succeeded', 'unchanged', 'failed')
                    """, arguments: [runID])
            while let row = try ended.next() {
                guard let at = Self.date(from: row[1]) else { continue }
                timeline.spaces[row[0], default: RunTimeline.Space()].completions.append(at)
            }
            return timeline
        }
    }
}

import DequeModule
import FleetModel
import HeapModule

/// Decides, for the `Dispatcher` that owns it, which request goes when: while fewer than
/// `concurrency` are in flight it takes requests space by space in turn from the spaces that may
/// send now (their rate has a token and the circuit breaker has not stopped them), and from each
/// event it learns the next request of a task, a retry at a later time, or a finished task. It
/// sends nothing and records nothing itself.
struct Scheduler {
    enum Event: Sendable {
        /// A request's answer: what to record (nil when nothing is), the task's next step, and
        /// what the answer tells about its space.
        case answered(TaskUpdate?, StepNext, Observation)
        /// The tasks' updates are on disk; each goes on with its next step.
        case recorded([Commit])
        /// Cut off by cancellation (a second Ctrl-C) before it could be recorded.
        case abandoned
        /// The updates of `count` answers could not be put on disk.
        case recordFailed(FleetError, count: Int)
        /// The next window of the batch's tasks, read from the feed.
        case fed([TaskWork])
        case feedFailed(FleetError)
        /// A timer armed for this moment went off.
        case timer(Duration)
        case stopRequested
    }

    /// One space's tasks waiting to start: next requests first, then retries that are due, then
    /// tasks not started yet, in run order.
    struct Lane {
        let space: String
        let host: String
        var urgent = Deque<TaskCursor>()
        var delayed = Heap<Delayed>()
        var fresh = Deque<TaskCursor>()
        /// The position of its last task in the batch: while the feed has not reached it, the
        /// lane has tasks still to read.
        let last: Int
        var unread = true

        var hasWork: Bool { !urgent.isEmpty || !delayed.isEmpty || !fresh.isEmpty || unread }

        /// When its first waiting request is ready, whatever the rate.
        func readyAt(_ now: Duration) -> Duration? {
            if !urgent.isEmpty || !fresh.isEmpty { return now }
            return delayed.min?.due
        }

        mutating func pop(_ now: Duration) -> (cursor: TaskCursor, retried: Bool, first: Bool)? {
            if let cursor = urgent.popFirst() { return (cursor, false, false) }
            if let first = delayed.min, first.due <= now { return (delayed.removeMin().cursor, true, false) }
            return fresh.popFirst().map { ($0, false, true) }
        }
    }

    struct Delayed: Comparable {
        var due: Duration
        var sequence: Int
        var cursor: TaskCursor
        static func < (a: Delayed, b: Delayed) -> Bool { (a.due, a.sequence) < (b.due, b.sequence) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.due == b.due && a.sequence == b.sequence }
    }

    /// A request the dispatcher may start now.
    struct Start {
        var cursor: TaskCursor
        var work: TaskWork
        var firstOfTask: Bool
    }

    /// An answer to put on disk before its task goes on.
    struct Commit: Sendable {
        var update: TaskUpdate
        var next: StepNext
        var index: Int
    }

    /// The tasks read from the feed and not finished yet, by position.
    var live: [Int: TaskWork] = [:]
    let options: ExecutionOptions
    let clock: any FleetClock
    let stop: StopSignal
    let progress: RunProgress
    let concurrency: Int
    let failureLimit: Int?
    let windowEnd: WindowEnd?
    var spaces: SpaceBook
    var lanes: [Lane] = []
    var laneOf: [String: Int] = [:]
    var turn = 0
    /// Each task's outcome, kept only when nothing records them (a plan reports from memory).
    var outcomes: [Int: TaskOutcome]?
    var failed = 0
    /// How many tasks a window of the feed holds; where the next one starts (nil once the batch
    /// is read), and whether it is being read.
    let window: Int
    var unread: Range<Int>?
    var feeding = false
    var inFlight = 0
    /// Answers being committed: their tasks go on once they are on disk.
    var committing = 0
    var failures = 0
    var haltReason: String?
    var recordFailure: FleetError?
    /// When the timers still pending go off: a new one is armed only before all of them.
    var timers: [Duration] = []
    var sequence = 0
    /// Spaces waiting out a throttle, as last counted.
    var pausedSpaces = 0

    init(
        spaces feed: [FeedSpace], positions: Range<Int>, failureLimit: Int?, windowEnd: WindowEnd? = nil,
        spaces: SpaceBook, keepOutcomes: Bool = false, options: ExecutionOptions, hosts: APIBase, clock: any FleetClock,
        stop: StopSignal, progress: RunProgress
    ) {
        unread = positions.isEmpty ? nil : positions
        outcomes = keepOutcomes ? [:] : nil
        window = max(256, 2 * options.concurrency)
        self.failureLimit = failureLimit
        self.windowEnd = windowEnd
        self.spaces = spaces
        self.options = options
        self.clock = clock
        self.stop = stop
        self.progress = progress
        concurrency = max(1, options.concurrency)
        self.spaces.breaker.outageBudget = max(.seconds(30), .milliseconds(Int64(options.timeoutSeconds * 5000)))
        let now = clock.now()
        for space in feed {
            laneOf[space.name] = lanes.count
            let host = hosts.host(space: space.name)
            lanes.append(Lane(space: space.name, host: host, last: space.positions.upperBound))
            self.spaces.hosts[space.name] = host
            if self.spaces.rates[space.name] == nil {
                self.spaces.rates[space.name] = RateController(ceiling: options.rate, now: now)
            }
        }
    }

    /// The positions of the next window to read now, counted as being read: when fewer than half
    /// a window wait, or a lane that may send has none waiting but more to read. A space slower
    /// than the others keeps what it has not sent yet; the others never wait for it.
    mutating func feed() -> Range<Int>? {
        guard mayStart, !feeding, let unread else { return nil }
        let waiting = lanes.reduce(0) { $0 + $1.fresh.count }
        guard waiting < window / 2 || lanes.contains(where: { $0.unread && $0.fresh.isEmpty && isOpen($0) }) else {
            return nil
        }
        feeding = true
        return unread
    }

    /// The next window, as tasks not started yet in their lanes.
    mutating func fed(_ tasks: [TaskWork]) {
        feeding = false
        for task in tasks {
            guard let lane = laneOf[task.project.space] else { continue }
            live[task.position] = task
            lanes[lane].fresh.append(
                TaskCursor(index: task.position, requests: task.previousAttempts, hasBefore: task.hasBefore))
            if task.position >= lanes[lane].last { lanes[lane].unread = false }
        }
        if let last = tasks.last, tasks.count == window, let unread, last.position + 1 < unread.upperBound {
            self.unread = (last.position + 1)..<unread.upperBound
        } else {
            unread = nil
            for index in lanes.indices { lanes[index].unread = false }
        }
    }

    private var mayStart: Bool {
        haltReason == nil && recordFailure == nil && !stop.isRequested && !Task.isCancelled
    }

    /// Nothing is in flight and nothing may start: the batch is over. A batch whose lanes with
    /// work were all stopped by the circuit breaker is halted by it.
    mutating func isDone() -> Bool {
        guard inFlight == 0 && committing == 0 && !feeding && !(mayStart && lanes.contains(where: isOpen)) else {
            return false
        }
        if mayStart && (lanes.contains(where: \.hasWork) || allStopped) { haltReason = breakerHalt() }
        return true
    }

    /// At the end: the retries still waiting leave the progress line's count.
    func close() {
        let retrying = lanes.reduce(0) { $0 + $1.delayed.count }
        progress.update { $0.retrying -= retrying }
    }

    /// A lane with work that the circuit breaker has not stopped.
    private func isOpen(_ lane: Lane) -> Bool {
        lane.hasWork && spaces.breaker.stopped(space: lane.space, host: lane.host) == nil
    }

    /// A slot is free once its answer is in, but at most `concurrency` answers wait for the disk:
    /// while answers cannot be recorded (another process holds the database), no request starts,
    /// and no write rests on a read that could not be kept.
    private var hasSlot: Bool { inFlight < concurrency && committing < concurrency }

    /// The requests that may start now, each counted in flight.
    mutating func startable(now: Duration) -> [Start] {
        if let windowEnd, now >= windowEnd.at, haltReason == nil, lanes.contains(where: isOpen) {
            haltReason = windowEnd.reason
        }
        var starts: [Start] = []
        var idle = 0
        while mayStart && hasSlot && idle < lanes.count && !lanes.isEmpty {
            let position = turn % lanes.count
            turn += 1
            guard isOpen(lanes[position]), lanes[position].readyAt(now).map({ $0 <= now }) == true,
                spaces.breaker.admits(host: lanes[position].host, now: now),
                spaces.rates[lanes[position].space]!.take(at: now), let next = lanes[position].pop(now)
            else {
                idle += 1
                continue
            }
            idle = 0
            if next.retried { progress.update { $0.retrying -= 1 } }
            spaces.breaker.starting(next.cursor.index, host: lanes[position].host)
            inFlight += 1
            starts.append(Start(cursor: next.cursor, work: live[next.cursor.index]!, firstOfTask: next.first))
        }
        if !starts.isEmpty { progress.update { [count = starts.count] in $0.started += count } }
        return starts
    }

    /// When to wake the dispatcher: the earliest moment a waiting request can go (its retry is
    /// due and its space has a token), unless a timer already armed goes off before it.
    mutating func wakeUp(now: Duration) -> Duration? {
        guard mayStart, hasSlot else { return nil }
        var wake: Duration?
        for lane in lanes where isOpen(lane) {
            guard let ready = lane.readyAt(now), let token = spaces.rates[lane.space]!.nextToken(after: now),
                let admitted = spaces.breaker.admitsAt(host: lane.host, now: now)
            else { continue }
            let due = max(ready, token, admitted)
            wake = min(wake ?? due, due)
        }
        if let end = windowEnd?.at, end > now, lanes.contains(where: isOpen) { wake = min(wake ?? end, end) }
        guard let wake, timers.allSatisfy({ wake < $0 }) else { return nil }
        timers.append(wake)
        return wake
    }

    /// Learns from one event; an answer with something to record comes back as the commit to
    /// make, its task going on once it is on disk.
    mutating func handle(_ event: Event) -> Commit? {
        switch event {
        case .answered(var update, var next, let observation):
            inFlight -= 1
            observe(observation)
            if let kind = observation.failure?.kind, kind == .network || kind == .timeout,
                spaces.breaker.inOutage(host: spaces.hosts[live[observation.index]!.project.space]!)
            {
                next = Self.waitOutOutage(observation.cursor)
                update?.state = .running
            }
            // A failure counts against --max-failures as it is known, before it is on disk, so
            // no task starts on a slot it freed once the limit is reached.
            if case .finish(.failed) = next { countFailure() }
            guard let update else {
                advance(observation.index, next)
                return nil
            }
            committing += 1
            return Commit(update: update, next: next, index: observation.index)
        case .recorded(let commits):
            committing -= commits.count
            for commit in commits { advance(commit.index, commit.next) }
        case .abandoned:
            inFlight -= 1
        case .recordFailed(let error, let count):
            committing -= count
            recordFailure = error
        case .fed(let tasks):
            fed(tasks)
        case .feedFailed(let error):
            feeding = false
            recordFailure = recordFailure ?? error
        case .timer(let due):
            timers.removeAll { $0 == due }
        case .stopRequested:
            break
        }
        return nil
    }

    private mutating func observe(_ observation: Observation) {
        let space = live[observation.index]!.project.space
        let now = clock.now()
        spaces.rates[space]!.observe(observation, now: now)
        if observation.failure?.kind == .rateLimited || pausedSpaces > 0 {
            let paused = lanes.filter { spaces.rates[$0.space]!.isPaused(at: now) }.map(\.space)
            pausedSpaces = paused.count
            progress.update { ($0.pausedSpaces, $0.pausedNames) = (paused.count, paused) }
        }
        if spaces.breaker.observe(observation, space: space, host: spaces.hosts[space]!, now: now) != nil {
            let stopped = lanes.filter { spaces.breaker.stopped(space: $0.space, host: $0.host) != nil }.map(\.space)
            progress.update { ($0.stoppedSpaces, $0.stoppedNames) = (stopped.count, stopped) }
        }
    }

    /// A request lost to an outage costs its task no attempt: it waits for the space to answer
    /// again (the breaker lets one probe through at a time), and a write that got no answer is
    /// followed by a read that tells whether it landed.
    private static func waitOutOutage(_ sent: TaskCursor) -> StepNext {
        var cursor = sent
        cursor.requests += 1
        if case .write = cursor.phase { (cursor.phase, cursor.confirming) = (.read, true) }
        return .retry(cursor, after: .zero)
    }

    private mutating func advance(_ index: Int, _ next: StepNext) {
        let lane = laneOf[live[index]!.project.space]!
        switch next {
        case .send(let cursor):
            lanes[lane].urgent.append(cursor)
        case .retry(let cursor, let delay):
            sequence += 1
            lanes[lane].delayed.insert(Delayed(due: clock.now() + delay, sequence: sequence, cursor: cursor))
            progress.update { $0.retrying += 1 }
        case .finish(let outcome):
            finish(index, outcome)
        }
    }

    private mutating func finish(_ index: Int, _ outcome: TaskOutcome) {
        live[index] = nil
        outcomes?[index] = outcome
        if case .failed = outcome { failed += 1 }
        progress.update { counts in
            switch outcome {
            case .succeeded, .planned: counts.succeeded += 1
            case .unchanged: counts.unchanged += 1
            case .failed: counts.failed += 1
            }
        }
    }

    private mutating func countFailure() {
        failures += 1
        if let failureLimit, failures >= failureLimit, haltReason == nil {
            haltReason =
                "--max-failures \(options.maxFailures.map { "\($0)" } ?? "\(failureLimit)"): \(failures) projects failed"
        }
    }

    /// The circuit breaker stopped every space of the batch.
    private var allStopped: Bool {
        !lanes.isEmpty && lanes.allSatisfy { spaces.breaker.stopped(space: $0.space, host: $0.host) != nil }
    }

    /// Every lane with work left (or every lane) was stopped by the circuit breaker.
    private func breakerHalt() -> String {
        let stopped = lanes.contains(where: \.hasWork) ? lanes.filter(\.hasWork) : lanes
        let reasons = Set(stopped.compactMap { spaces.breaker.stopped(space: $0.space, host: $0.host) })
        let finished = lanes.count { !$0.hasWork && spaces.breaker.stopped(space: $0.space, host: $0.host) == nil }
        let others = finished > 0 ? "; \(finished) of \(lanes.count) spaces finished" : ""
        return "the circuit breaker: " + reasons.sorted().joined(separator: "; ") + others
    }

    func batch() throws -> Dispatcher.Batch {
        if let recordFailure { throw recordFailure }
        var unreachable: [String: String] = [:]
        for lane in lanes where lane.hasWork {
            guard let reason = spaces.breaker.stopped(space: lane.space, host: lane.host) else { continue }
            unreachable[lane.space] = reason
        }
        let end: ExecutionEnd =
            if let haltReason { .halted(haltReason) } else if stop.isRequested || Task.isCancelled { .interrupted } else
            { .finished }
        return Dispatcher.Batch(end: end, failed: failed, outcomes: outcomes ?? [:], unreachable: unreachable)
    }
}

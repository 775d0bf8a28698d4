import FleetModel
import NIOCore

/// Runs Swift tasks on one NIO event loop, the loop the HTTP client's connections live on, so a
/// request's task and its I/O share a thread instead of hopping between the cooperative pool and
/// the event loop twice per request (most of a rollout's CPU went to those context switches).
package final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    package init(_ loop: any EventLoop) { self.loop = loop }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

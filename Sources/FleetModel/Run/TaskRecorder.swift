/// Where the engine puts each task's update before the task goes on; the store's `RunRecorder`
/// is the one fleet runs with. A caller returns once its updates are on disk.
package protocol TaskRecorder: Sendable {
    func commit(_ updates: [TaskUpdate]) async throws
}

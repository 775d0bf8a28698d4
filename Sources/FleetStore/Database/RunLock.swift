import FleetModel
import Foundation

/// Makes sure two processes never execute the same run: an open-file-description lock (Linux
/// F_OFD_SETLK) on byte `run id` of `<db>.lock`. The kernel drops it when the process dies, even
/// by kill -9, so a run whose state says `running` but whose lock is free was interrupted. OFD
/// locks, unlike classic fcntl locks, are not lost when the same process closes another
/// descriptor of the file, and a probe from the same process sees them.
package final class RunLock: Sendable {
    private let fd: Int32
    package let runID: Int64

    private init(fd: Int32, runID: Int64) {
        self.fd = fd
        self.runID = runID
    }

    deinit { close(fd) }

    static func lockPath(database: String) -> String { database + ".lock" }

    /// Takes the lock, or throws naming the process that holds it.
    package static func acquire(runID: Int64, database: String) throws -> RunLock {
        let path = lockPath(database: database)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw FleetError.internal("cannot open the lock file \(path): \(String(cString: strerror(errno))).")
        }
        var lock = Self.region(runID, type: F_WRLCK)
        if fcntl(fd, Platform.setLock, &lock) != 0 {
            close(fd)
            throw heldError(runID: runID)
        }
        return RunLock(fd: fd, runID: runID)
    }

    package static func heldError(runID: Int64) -> FleetError {
        FleetError(
            "run \(runID) is being executed by another fleet process; wait for it to finish, or stop it with Ctrl-C, then try again.",
            status: .failure)
    }

    /// Whether some other process holds the lock of `runID` now.
    package static func isHeld(runID: Int64, database: String) -> Bool {
        let fd = open(lockPath(database: database), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var probe = region(runID, type: F_WRLCK)
        guard fcntl(fd, Platform.getLock, &probe) == 0 else { return false }
        return probe.l_type != Int16(F_UNLCK)
    }

    private static func region(_ runID: Int64, type: Int32) -> flock {
        var lock = flock()
        lock.l_type = Int16(type)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(runID)
        lock.l_len = 1
        return lock
    }
}

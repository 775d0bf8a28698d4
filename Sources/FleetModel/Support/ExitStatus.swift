/// The process exit statuses of the README's "Exit status".
package enum ExitStatus: Int32, Sendable {
    case success = 0
    /// A project failed or drifted, or the run was halted or interrupted.
    case failure = 1
    /// `fleet plan --detailed-exitcode`: every profile was read and some would change.
    case changes = 2
    case usage = 64
    /// Bad input data: an inventory CSV, a template or a plan file.
    case dataError = 65
    /// A bug: the only status whose message says "please report it".
    case internalError = 70
    /// The disk or the database file failed: full, unreadable, unwritable.
    case ioError = 74
}

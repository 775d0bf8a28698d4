import FleetMigrations
import FleetModel
import Foundation
import GRDB

/// fleet's SQLite file, opened once per process. Only `fleet import` (`.create`) creates one;
/// commands that write (`.write`) migrate it, in WAL mode with foreign keys on and a busy
/// timeout; commands that only read (`.read`) open it read-only and never create, migrate or
/// write it. A file that is not a fleet database, or one written by a newer fleet, is refused
/// before anything touches it, so it stays byte-for-byte as it was.
package final class FleetDatabase: Sendable {
    package enum Access: Sendable { case create, write, read }

    package let path: String
    /// The file itself, whatever name reached it (symlinks and relative paths resolved): the run
    /// lock and the permission check are taken on it, so no second name escapes them.
    package let filePath: String
    package let writer: any DatabaseWriter
    /// Things the operator should know about the file (it is readable by others).
    package let warnings: [String]

    package init(path: String, access: Access = .write) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists {
            guard access == .create else { throw Self.missing(path) }
            try Self.createPrivately(path)
        }
        filePath = Self.resolved(path)
        let state = exists ? try Self.inspect(path) : .empty
        if state == .empty && access != .create { throw Self.missing(path) }
        warnings = exists ? Self.permissionWarnings(path, file: filePath) : []
        do {
            if access == .read {
                if state == .needsMigration { throw Self.needsUpgrade(path) }
                writer = try Self.openReadOnly(path)
            } else {
                let pool = try DatabasePool(path: path, configuration: Self.writeConfiguration)
                try Self.migrator.migrate(pool)
                writer = pool
            }
        } catch let error as DatabaseError {
            throw Self.failure(error, path: path, doing: "open")
        }
    }

    private static var writeConfiguration: Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a killed process; a rerun reconciles anything an OS crash loses,
            // because every task reads the live profile before it writes.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return configuration
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (identifier, sql) in FleetMigrations.all {
            migrator.registerMigration(identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    enum FileState: Equatable { case empty, current, needsMigration }

    /// A read-only connection. A WAL file needs its -shm beside it; when this user cannot create
    /// one (a read-only folder), the file is opened as immutable, which reads it without locks:
    /// right for a file nobody is writing, which is the only kind such a user can have.
    private static func openReadOnly(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return queue
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY].contains(error.resultCode) {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let encoded =
                absolute.addingPercentEncoding(
                    withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? absolute
            return try DatabaseQueue(path: "file:\(encoded)?immutable=1", configuration: configuration)
        }
    }

    /// Looks at an existing file through a read-only connection, which changes nothing in it.
    private static func inspect(_ path: String) throws -> FileState {
        let tables: [String]
        let migrations: (superseded: Bool, complete: Bool)
        do {
            let queue = try openReadOnly(path)
            (tables, migrations) = try queue.read { db in
                let tables = try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                guard tables.contains("grdb_migrations") else { return (tables, (false, false)) }
                return (tables, (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db)))
            }
            try queue.close()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw FleetError.usage(
                "\(path) is not a fleet database (it is not even an SQLite file); fleet left it as it is. Check --db or FLEET_DB."
            )
        } catch let error as DatabaseError {
            throw failure(error, path: path, doing: "read")
        }
        if tables.isEmpty { return .empty }
        guard tables.contains("grdb_migrations") else {
            throw FleetError.usage(
                "\(path) is not a fleet database (it has tables fleet does not make: \(tables.sorted().prefix(5).joined(separator: ", "))); fleet left it as it is. Check --db or FLEET_DB."
            )
        }
        if migrations.superseded {
            throw FleetError.usage(
                "\(path) was written by a newer fleet (its schema has migrations this fleet does not know); fleet left it as it is. Use that fleet or a newer one."
            )
        }
        return migrations.complete ? .current : .needsMigration
    }

    private static func missing(_ path: String) -> FleetError {
        .usage(
            "there is no fleet database at \(path); create one by importing an inventory: `\(CommandHint(database: path)("import FILE.csv"))`."
        )
    }

    private static func needsUpgrade(_ path: String) -> FleetError {
        .usage(
            "\(path) was made by an older fleet and needs an upgrade, which commands that only read do not do; any command that writes (import, rollout, retry, rollback) upgrades it."
        )
    }

    /// The mode of the file itself (a symlink's own mode says nothing).
    private static func permissionWarnings(_ path: String, file: String) -> [String] {
        var status = stat()
        guard stat(file, &status) == 0, status.st_mode & 0o044 != 0 else { return [] }
        return [
            "fleet: warning: \(path) holds API tokens and can be read by other users; `chmod 600 \(ShellWord.quote(file))` keeps them private."
        ]
    }

    /// The real path of an existing file (every symlink followed); the absolute path otherwise.
    static func resolved(_ path: String) -> String {
        guard let real = realpath(path, nil) else { return URL(fileURLWithPath: path).standardizedFileURL.path }
        defer { free(real) }
        return String(cString: real)
    }

    /// The database's identity, made once by its migration: a saved plan records it.
    package func identity() throws -> String {
        guard let id = try writer.read({ db in try String.fetchOne(db, sql: "SELECT id FROM database_identity") })
        else {
            throw FleetError.internal("\(path) has no identity row; the database is damaged.")
        }
        return id
    }

    /// Creates the file with mode 0600 before SQLite sees it (SQLite gives its -wal and -shm files
    /// the same mode as the database file).
    private static func createPrivately(_ path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw FleetError(
                "cannot create the database \(path): the folder \(directory) does not exist.", status: .usage)
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw FleetError(
                "cannot create the database \(path): \(String(cString: strerror(errno))).", status: .ioError)
        }
        fchmod(fd, 0o600)
        close(fd)
    }

    /// A database error as one sentence: the disk and the file's own troubles are I/O errors
    /// (exit 74); anything else is a bug.
    /// `next` is the way on once the cause is mended (for a run: the retry that finishes it).
    package static func failure(
        _ error: DatabaseError, path: String, doing what: String, next: String = "run the command again"
    ) -> FleetError {
        switch error.resultCode {
        case .SQLITE_FULL:
            .io("cannot \(what) \(path): the disk is full. Free some space, then \(next).")
        case .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_NOTADB, .SQLITE_CORRUPT:
            .io(
                "cannot \(what) \(path): \(error.message ?? "an I/O error"). Check the file and its folder, then \(next)."
            )
        case .SQLITE_READONLY:
            .io(
                "cannot \(what) \(path): the file is read-only. Make it writable (or use --db to pick another), then \(next)."
            )
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            .io("cannot \(what) \(path): another process held it for more than 10 s. Try again: \(next).")
        default:
            .internal("cannot \(what) \(path): \(error.message ?? "\(error)").")
        }
    }

    /// A failure while a run is executed: the run stops, and the message names it and the retry
    /// that finishes it. A `FleetError` already said is passed on.
    package func runFailure(_ error: any Error, runID: Int64) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        return Self.failure(
            error, path: path, doing: "record run \(runID) in",
            next: "`\(hint("retry \(runID)"))` finishes run \(runID)")
    }

    /// Next-step command lines for this database.
    package var hint: CommandHint { CommandHint(database: path) }

    /// The time as stored in every `*_at` column: ISO 8601 UTC with milliseconds
    /// (`2026-11-30T04:34:10.123Z`). Formatted by hand: the executor writes several per task, and
    /// Foundation's formatter showed in profiles.
    package static func timestamp(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String { String(value).leftPadded(to: width) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }

    package static func date(from timestamp: String) -> Date? {
        try? Self.timestampStyle.parse(timestamp)
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}

import FleetMigrations
import Foundation
import GRDB

/// fleet's SQLite file: opened once per process, migrated on open, in WAL mode with foreign keys
/// on and a busy timeout, created with mode 0600 because it holds API tokens.
public final class FleetDatabase: Sendable {
    public let path: String
    public let writer: DatabasePool

    public init(path: String) throws {
        self.path = path
        try Self.createPrivately(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            // WAL + NORMAL survives a killed process; a rerun reconciles anything an OS crash loses,
            // because every task reads the live profile before it writes.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            writer = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw FleetError("cannot open the database \(path): \(error.message ?? "\(error)"). Check --db or FLEET_DB.",
                             status: .internalError)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for (identifier, sql) in FleetMigrations.all {
            migrator.registerMigration(identifier) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    /// Creates the file with mode 0600 before SQLite sees it (SQLite gives its -wal and -shm files
    /// the same mode as the database file).
    private static func createPrivately(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) { return }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            throw FleetError("cannot create the database \(path): the folder \(directory) does not exist.", status: .usage)
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw FleetError("cannot create the database \(path): \(String(cString: strerror(errno))).", status: .usage)
        }
        fchmod(fd, 0o600)
        close(fd)
    }

    /// The current time as stored in every `*_at` column: ISO 8601 UTC with milliseconds
    /// (`2026-11-30T04:34:10.123Z`). Formatted by hand: the executor writes several per task, and
    /// Foundation's formatter showed in profiles.
    public static func timestamp(_ date: Date = Date()) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }

    public static func date(from timestamp: String) -> Date? {
        try? Self.timestampStyle.parse(timestamp)
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}

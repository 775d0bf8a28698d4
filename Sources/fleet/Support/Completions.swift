import ArgumentParser
import FleetModel
import FleetStore
import Foundation

/// What the shell completes: files by their extension, and run ids, spaces and tags from the
/// database the command line names (`--db`, else FLEET_DB, else ./fleet.db), read only.
enum Completions {
    static let csv = CompletionKind.file(extensions: ["csv"])
    static let json = CompletionKind.file(extensions: ["json"])
    static let database = CompletionKind.file(extensions: ["db", "sqlite"])
    static let certificate = CompletionKind.file(extensions: ["pem", "crt", "cer"])

    static let runs = CompletionKind.custom { words, _, prefix in
        values(words, prefix) { try $0.runIDs().map(String.init) }
    }

    static let spaces = CompletionKind.custom { words, _, prefix in
        values(words, prefix) { Set(try $0.projects(Selection(includeDisabled: true)).map(\.space)).sorted() }
    }

    static let tags = CompletionKind.custom { words, _, prefix in
        values(words, prefix) { Set(try $0.projects(Selection(includeDisabled: true)).flatMap(\.tags)).sorted() }
    }

    /// `read`'s values that start with `prefix`; none when the database cannot be read.
    private static func values(_ words: [String], _ prefix: String, _ read: (FleetDatabase) throws -> [String])
        -> [String]
    {
        let path =
            words.firstIndex(of: "--db").flatMap { words.indices.contains($0 + 1) ? words[$0 + 1] : nil }
            ?? ProcessInfo.processInfo.environment["FLEET_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? "fleet.db"
        guard let database = try? FleetDatabase(path: path, access: .read), let all = try? read(database) else {
            return []
        }
        return all.filter { $0.hasPrefix(prefix) }
    }
}

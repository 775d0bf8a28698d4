import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who runs fleet: the login name and the host name, recorded on every hold and execution.
package struct Operator: Sendable, Equatable, Codable {
    package var user: String
    package var host: String

    package init(user: String, host: String) {
        self.user = user
        self.host = host
    }

    /// `login@host`.
    package var name: String { "\(user)@\(host)" }

    /// The login name (`LOGNAME`, `USER`, else the password database's) and the host name.
    package static func current(environment: [String: String]) -> Operator {
        let user =
            [environment["LOGNAME"], environment["USER"]].compactMap { $0 }.first { !$0.isEmpty }
            ?? getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(geteuid())"
        var buffer = [CChar](repeating: 0, count: 256)
        let host =
            gethostname(&buffer, buffer.count) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            : "unknown host"
        return Operator(user: user, host: host)
    }
}

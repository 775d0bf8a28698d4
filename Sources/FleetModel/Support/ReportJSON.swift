import Foundation

/// JSON for people and programs: keys sorted, slashes left alone.
package enum ReportJSON {
    /// Throws (a bug: only a non-finite number cannot be written) rather than print or hash a
    /// stand-in.
    package static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            throw FleetError.internal("cannot write \(T.self) as JSON (\(error)).")
        }
    }
}

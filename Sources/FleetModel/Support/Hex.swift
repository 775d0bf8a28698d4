import Foundation

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, as SHA-256 digests are shown.
    package var hex: String { map { String($0, radix: 16).leftPadded(to: 2) }.joined() }
}

import Foundation

/// Finds a project's token in text that came from outside (an API detail, a profile a server
/// echoed) in every form a server might send it back: plain, or base64 at any alignment (inside
/// a `Basic` header, with or without padding, in the URL-safe alphabet), whole or as a fragment of
/// at least 16 characters. Each finding is replaced by the token's mask, together with the rest
/// of the run of characters it sits in, so no part of the encoding survives either.
///
/// Scrub before truncating: a cut through the token would leave a fragment behind.
struct TokenScrubber: Sendable {
    /// Every form's fragments of `gram` characters, by rolling hash, with the alphabet of the
    /// run a finding is widened to.
    private let grams: [UInt64: [(bytes: [UInt8], alphabet: Alphabet)]]
    private let gram: Int
    /// base^(gram − 1), to roll the hash one byte on.
    private let power: UInt64
    private let mask: String

    enum Alphabet: Sendable {
        case token, base64, base64URL

        func contains(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "+"), UInt8(ascii: "/"): self == .base64
            case UInt8(ascii: "-"), UInt8(ascii: "_"): self != .base64
            case UInt8(ascii: "="): self != .token
            default: false
            }
        }
    }

    init(token: String) {
        mask = TokenVault.mask(token)
        let plain = Array(token.utf8)
        var forms: [([UInt8], Alphabet)] = plain.isEmpty ? [] : [(plain, .token)]
        for core in Self.base64Cores(of: plain) {
            forms.append((Array(core.utf8), .base64))
            let url = core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            if url != core { forms.append((Array(url.utf8), .base64URL)) }
        }
        gram = min(16, forms.map(\.0.count).min() ?? 16)
        power = (0..<max(0, gram - 1)).reduce(1) { power, _ in power &* Self.base }
        var grams: [UInt64: [(bytes: [UInt8], alphabet: Alphabet)]] = [:]
        for (bytes, alphabet) in forms where bytes.count >= gram && gram > 0 {
            for start in 0...(bytes.count - gram) {
                let piece = Array(bytes[start..<(start + gram)])
                grams[Self.hash(piece[...]), default: []].append((piece, alphabet))
            }
        }
        self.grams = grams
    }

    /// The part of base64(prefix + token) that depends on the token alone, for a prefix of 0, 1
    /// and 2 bytes: any base64 text that encodes the token contains one of these.
    static func base64Cores(of token: [UInt8]) -> [String] {
        guard !token.isEmpty else { return [] }
        return (0..<3).compactMap { offset in
            let encoded = Array((Data(repeating: 0, count: offset) + Data(token)).base64EncodedString().utf8)
            let first = (8 * offset + 5) / 6
            let end = 8 * (offset + token.count) / 6
            return first < end ? String(decoding: encoded[first..<end], as: UTF8.self) : nil
        }
    }

    func scrub(_ text: String) -> String {
        guard gram > 0 else { return text }
        let bytes = Array(text.utf8)
        guard bytes.count >= gram else { return text }
        var spans: [Range<Int>] = []
        var hash = Self.hash(bytes[0..<gram])
        var start = 0
        while true {
            if let candidates = grams[hash] {
                for candidate in candidates where bytes[start..<(start + gram)].elementsEqual(candidate.bytes) {
                    spans.append(widen(start..<(start + gram), in: bytes, alphabet: candidate.alphabet))
                    break
                }
            }
            let next = start + gram
            guard next < bytes.count else { break }
            hash = (hash &- UInt64(bytes[start]) &* power) &* Self.base &+ UInt64(bytes[next])
            start += 1
        }
        guard !spans.isEmpty else { return text }
        return replace(merged(spans), in: bytes)
    }

    private func widen(_ span: Range<Int>, in bytes: [UInt8], alphabet: Alphabet) -> Range<Int> {
        var lower = span.lowerBound, upper = span.upperBound
        while lower > 0, alphabet.contains(bytes[lower - 1]) { lower -= 1 }
        while upper < bytes.count, alphabet.contains(bytes[upper]) { upper += 1 }
        return lower..<upper
    }

    private func merged(_ spans: [Range<Int>]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        for span in spans.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, span.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, span.upperBound)
            } else {
                result.append(span)
            }
        }
        return result
    }

    private func replace(_ spans: [Range<Int>], in bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for span in spans {
            out += bytes[position..<span.lowerBound]
            out += Array(mask.utf8)
            position = span.upperBound
        }
        out += bytes[position...]
        // A span may cut a multi-byte character of a neighbour only if the alphabet held it,
        // and the alphabets are ASCII, so the result is valid UTF-8.
        return String(decoding: out, as: UTF8.self)
    }

    private static let base: UInt64 = 1_000_003

    private static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 &* base &+ UInt64($1) }
    }
}

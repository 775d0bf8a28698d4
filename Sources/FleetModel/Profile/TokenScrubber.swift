import Foundation

/// Finds a project's token in text that came from outside (an API detail, a profile a server
/// echoed) in every form a server might send it back: plain, or base64 at any alignment (inside
/// a `Basic` header, with or without padding, in the URL-safe alphabet), whole or as a fragment of
/// at least 16 characters (the whole token when it is shorter). Each finding is replaced by the
/// token's mask, together with the rest of the run of characters it sits in (the form's alphabet,
/// and for the plain form every byte of the token itself: a token may hold `:`, `.`, `~`, `%`), so
/// no part of the token or its encoding survives either.
///
/// Scrub before truncating: a cut through the token would leave a fragment behind.
struct TokenScrubber: Sendable {
    /// Only the token is kept (kept for every project, its forms cost a run of 100,000 projects
    /// 90 MB). A scrub first looks at the text's 4-byte pieces against the forms' (`Pieces`,
    /// worked out from the token as it goes, nothing allocated); only text that may hold a
    /// finding gets the forms built and the full search, which indexes the text.
    private let token: String

    enum Alphabet: Int, Sendable {
        case token, base64, base64URL

        var bit: UInt8 { 1 << UInt8(rawValue) }

        func contains(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "+"), UInt8(ascii: "/"): self == .base64
            case UInt8(ascii: "-"), UInt8(ascii: "_"): self != .base64
            case UInt8(ascii: "="): self != .token
            default: false
            }
        }
    }

    init(token: String) {
        self.token = token
    }

    /// One form the token may come in, and the bytes of the run a finding is widened over: its
    /// alphabet's, and every byte of the form itself, so a finding always grows over the whole
    /// occurrence (a run stopped at a `:` inside the token would leave its tail behind).
    /// (Checked only where a finding is widened, which is rare: nothing is built per scrub.)
    struct Form {
        var bytes: [UInt8]
        var alphabet: Alphabet

        init(_ bytes: [UInt8], alphabet: Alphabet) {
            self.bytes = bytes
            self.alphabet = alphabet
        }

        func widens(over byte: UInt8) -> Bool { alphabet.contains(byte) || bytes.contains(byte) }
    }

    /// The forms the token may come in.
    private static func forms(of token: String) -> [Form] {
        let plain = Array(token.utf8)
        var forms: [Form] = plain.isEmpty ? [] : [Form(plain, alphabet: .token)]
        for core in base64Cores(of: plain) {
            forms.append(Form(core, alphabet: .base64))
            let url = core.map {
                $0 == UInt8(ascii: "+") ? UInt8(ascii: "-") : $0 == UInt8(ascii: "/") ? UInt8(ascii: "_") : $0
            }
            if url != core { forms.append(Form(url, alphabet: .base64URL)) }
        }
        return forms
    }

    /// The part of base64(prefix + token) that depends on the token alone, for a prefix of 0, 1
    /// and 2 bytes: any base64 text that encodes the token contains one of these.
    static func base64Cores(of token: [UInt8]) -> [[UInt8]] {
        guard !token.isEmpty else { return [] }
        return (0..<3).compactMap { offset in
            let core = Core(offset: offset, tokenLength: token.count)
            return core.isEmpty ? nil : Array(base64([UInt8](repeating: 0, count: offset) + token)[core.range])
        }
    }

    fileprivate static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 without padding (the cores never reach it).
    static func base64(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk =
                (UInt32(bytes[index]) << 16) | (index + 1 < bytes.count ? UInt32(bytes[index + 1]) << 8 : 0)
                | (index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0)
            let characters = min(4, (bytes.count - index) * 8 / 6 + 1)
            for character in 0..<characters { out.append(alphabet[Int((chunk >> UInt32(18 - 6 * character)) & 63)]) }
            index += 3
        }
        return out
    }

    func scrub(_ text: String) -> String {
        let gram = Self.gram(tokenLength: token.utf8.count)
        guard gram > 0, text.utf8.count >= gram else { return text }
        // Most text (every profile a server answers) holds nothing of the token: a scan of its
        // 4-byte pieces says so in a fraction of the search's time, with no form built.
        if gram >= Pieces.width, !Pieces.mayHold(text, token: token, gram: gram) { return text }
        return search(text, forms: Self.forms(of: token), gram: gram)
    }

    /// Every finding of the token's forms in `text` masked, without the quick look first.
    func search(_ text: String) -> String {
        let gram = Self.gram(tokenLength: token.utf8.count)
        guard gram > 0, text.utf8.count >= gram else { return text }
        return search(text, forms: Self.forms(of: token), gram: gram)
    }

    /// How long a finding is: 16 bytes, or the shortest form when one is shorter (0: no token).
    static func gram(tokenLength count: Int) -> Int {
        guard count > 0 else { return 0 }
        let cores = (0..<3).map { offset in Core(offset: offset, tokenLength: count) }.filter { !$0.isEmpty }
        return min(16, cores.reduce(count) { min($0, $1.range.count) })
    }

    /// Where base64(`offset` zero bytes + token) depends on the token alone (see `base64Cores`).
    struct Core {
        var offset: Int
        var range: Range<Int>
        var isEmpty: Bool { range.isEmpty }

        init(offset: Int, tokenLength: Int) {
            self.offset = offset
            let first = (8 * offset + 5) / 6
            range = first..<max(first, 8 * (offset + tokenLength) / 6)
        }
    }

    private func search(_ text: String, forms: [Form], gram: Int) -> String {
        let bytes = Array(text.utf8)
        // base^(gram − 1), to roll the hash one byte on.
        let power = (0..<(gram - 1)).reduce(UInt64(1)) { power, _ in power &* Self.base }
        let index = TextIndex(bytes, gram: gram, power: power)
        // Per position, the alphabets whose run through it is already masked: a run is widened
        // once, however often the token repeats in it.
        var covered = [UInt8](repeating: 0, count: bytes.count)
        var spans: [Range<Int>] = []
        for form in forms where form.bytes.count >= gram {
            var hash = Self.hash(form.bytes[0..<gram])
            for offset in 0...(form.bytes.count - gram) {
                if offset > 0 {
                    hash = Self.roll(hash, out: form.bytes[offset - 1], in: form.bytes[offset + gram - 1], power: power)
                }
                for start in index.positions(of: hash)
                where covered[start] & form.alphabet.bit == 0
                    && bytes[start..<(start + gram)].elementsEqual(form.bytes[offset..<(offset + gram)])
                {
                    let span = widen(start..<(start + gram), in: bytes, over: form)
                    for position in span { covered[position] |= form.alphabet.bit }
                    spans.append(span)
                }
            }
        }
        guard !spans.isEmpty else { return text }
        return replace(merged(spans), in: bytes, mask: Credentials.mask(token))
    }

    /// The hash of the fragment one byte on: `out` leaves it, `next` joins it.
    fileprivate static func roll(_ hash: UInt64, out: UInt8, in next: UInt8, power: UInt64) -> UInt64 {
        (hash &- UInt64(out) &* power) &* Self.base &+ UInt64(next)
    }

    /// The text's fragments of `gram` bytes by rolling hash: an open-addressing table from a
    /// hash's slot to the last position in it, positions chained.
    private struct TextIndex {
        var hashes: [UInt64]
        var next: [Int]
        var table: [Int]

        init(_ bytes: [UInt8], gram: Int, power: UInt64) {
            let count = bytes.count - gram + 1
            var slots = 64
            while slots < 2 * count { slots <<= 1 }
            hashes = [UInt64](repeating: 0, count: count)
            next = [Int](repeating: -1, count: count)
            table = [Int](repeating: -1, count: slots)
            var hash = TokenScrubber.hash(bytes[0..<gram])
            for start in 0..<count {
                if start > 0 {
                    hash = TokenScrubber.roll(hash, out: bytes[start - 1], in: bytes[start + gram - 1], power: power)
                }
                hashes[start] = hash
                let slot = Int(hash & UInt64(slots - 1))
                next[start] = table[slot]
                table[slot] = start
            }
        }

        func positions(of hash: UInt64) -> [Int] {
            var found: [Int] = []
            var candidate = table[Int(hash & UInt64(table.count - 1))]
            while candidate >= 0 {
                if hashes[candidate] == hash { found.append(candidate) }
                candidate = next[candidate]
            }
            return found
        }
    }

    private func widen(_ span: Range<Int>, in bytes: [UInt8], over form: Form) -> Range<Int> {
        var lower = span.lowerBound
        var upper = span.upperBound
        while lower > 0, form.widens(over: bytes[lower - 1]) { lower -= 1 }
        while upper < bytes.count, form.widens(over: bytes[upper]) { upper += 1 }
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

    private func replace(_ spans: [Range<Int>], in bytes: [UInt8], mask: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var position = 0
        for span in spans {
            out += bytes[position..<span.lowerBound]
            out += Array(mask.utf8)
            position = span.upperBound
        }
        out += bytes[position...]
        // A span widened over a token's non-ASCII bytes may cut a neighbouring character: the
        // decoding repairs it (as U+FFFD), and nothing of the token is left.
        return String(decoding: out, as: UTF8.self)
    }

    fileprivate static let base: UInt64 = 1_000_003

    /// The 4-byte pieces of the token's forms, as a set of hashes: every piece of a finding of
    /// `gram` bytes is one of them, so text without `gram − 3` such pieces in a row holds none.
    /// `-` and `_` are read as `+` and `/` on both sides, so the standard forms stand for the
    /// URL-safe ones. A hash shared by chance only sends the text to the full search.
    enum Pieces {
        static let width = 4

        static func mayHold(_ text: String, token: String, gram: Int) -> Bool {
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { bits in
                bits.initialize(repeating: 0)
                insertPieces(of: token, into: bits)
                return hasRun(of: bits, in: text, longerThan: gram - width)
            }
        }

        /// The pieces of the plain token and of its three base64 cores, each character of a
        /// core worked out where it stands: the 6 bits of character i of base64(offset zero bytes
        /// + token) begin at bit 6i.
        private static func insertPieces(of token: String, into bits: UnsafeMutableBufferPointer<UInt64>) {
            func insert(_ piece: UInt32) {
                let slot = slot(piece)
                bits[slot >> 6] |= 1 << (slot & 63)
            }
            var token = token
            token.withUTF8 { token in
                var piece: UInt32 = 0
                for (index, byte) in token.enumerated() {
                    piece = piece << 8 | UInt32(standard(byte))
                    if index >= width - 1 { insert(piece) }
                }
                for offset in 0..<3 {
                    let core = Core(offset: offset, tokenLength: token.count)
                    func byte(_ index: Int) -> UInt16 {
                        index < offset || index - offset >= token.count ? 0 : UInt16(token[index - offset])
                    }
                    piece = 0
                    for character in core.range {
                        let (index, shift) = (6 * character / 8, 6 * character % 8)
                        let value = (byte(index) << 8 | byte(index + 1)) >> (10 - shift) & 63
                        piece = piece << 8 | UInt32(TokenScrubber.alphabet[Int(value)])
                        if character - core.range.lowerBound >= width - 1 { insert(piece) }
                    }
                }
            }
        }

        /// Whether more than `count` pieces in a row of `text` are in `bits`.
        private static func hasRun(of bits: UnsafeMutableBufferPointer<UInt64>, in text: String, longerThan count: Int)
            -> Bool
        {
            var text = text
            return text.withUTF8 { bytes in
                var piece: UInt32 = 0
                var run = 0
                for (index, byte) in bytes.enumerated() {
                    piece = piece << 8 | UInt32(standard(byte))
                    guard index >= width - 1 else { continue }
                    let slot = slot(piece)
                    run = bits[slot >> 6] & (1 << (slot & 63)) != 0 ? run + 1 : 0
                    if run > count { return true }
                }
                return false
            }
        }

        private static func standard(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "-"): UInt8(ascii: "+")
            case UInt8(ascii: "_"): UInt8(ascii: "/")
            default: byte
            }
        }

        /// One of 4,096 bits (64 words) by a multiplicative hash of the piece.
        private static func slot(_ piece: UInt32) -> Int { Int((piece &* 0x9E37_79B1) >> 20) }
    }

    fileprivate static func hash(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 &* base &+ UInt64($1) }
    }
}

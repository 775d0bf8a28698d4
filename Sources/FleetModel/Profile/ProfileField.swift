/// The five writable fields of a SIP profile (`UpdateSipProfileRequest`), in the API's order:
/// each one's JSON key, its shape (a string or a list of strings), whether null is the same as
/// "" (only `default_send_as`, where both mean "pick a number of the project at random"), and
/// the values the API allows. Decoding, encoding, validation, diffs, merges and reports all go
/// through it, so each field is spelled once.
package enum ProfileField: String, CaseIterable, Sendable, Codable, Hashable, CustomStringConvertible {
    case domainIdentifier = "domain_identifier"
    case defaultCodecs = "default_codecs"
    case defaultCiphers = "default_ciphers"
    case defaultEncryption = "default_encryption"
    case defaultSendAs = "default_send_as"

    /// Its key in the API's JSON.
    package var key: String { rawValue }

    /// Messages name a field by its key.
    package var description: String { key }

    /// A list of strings (codecs, ciphers) rather than one string.
    package var isList: Bool { self == .defaultCodecs || self == .defaultCiphers }

    /// null and "" mean the same, a PUT always carries it (null when unset), and an answer may
    /// leave it out.
    package var nullMeansEmpty: Bool { self == .defaultSendAs }

    /// The values the API takes (for a list, each item); nil when any string is taken.
    package var allowed: [String]? {
        switch self {
        case .defaultCodecs: ["OPUS", "G722", "PCMU", "PCMA", "VP8", "H264"]
        case .defaultCiphers:
            [
                "AEAD_AES_256_GCM_8", "AES_256_CM_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80",
                "AES_256_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_32",
            ]
        case .defaultEncryption: ["required", "optional"]
        case .domainIdentifier, .defaultSendAs: nil
        }
    }

    /// `domain_identifier, default_codecs, …`, for messages.
    package static var keys: String { allCases.map(\.key).joined(separator: ", ") }

    /// Its value in `profile` as JSON (null when unset).
    package func value(in profile: SipProfile) -> JSONValue {
        if isList { return list(in: profile).map { .array($0.map(JSONValue.string)) } ?? .null }
        return text(in: profile).map(JSONValue.string) ?? .null
    }

    /// Sets it in `profile` from JSON (null, or a value not of its shape, unsets it).
    package func set(_ value: JSONValue, in profile: inout SipProfile) {
        switch self {
        case .domainIdentifier: profile.domainIdentifier = value.string
        case .defaultCodecs: profile.defaultCodecs = value.strings
        case .defaultCiphers: profile.defaultCiphers = value.strings
        case .defaultEncryption: profile.defaultEncryption = value.string
        case .defaultSendAs: profile.defaultSendAs = value.string
        }
    }

    /// Copies it from `source` to `target`.
    package func copy(from source: SipProfile, to target: inout SipProfile) {
        switch self {
        case .domainIdentifier: target.domainIdentifier = source.domainIdentifier
        case .defaultCodecs: target.defaultCodecs = source.defaultCodecs
        case .defaultCiphers: target.defaultCiphers = source.defaultCiphers
        case .defaultEncryption: target.defaultEncryption = source.defaultEncryption
        case .defaultSendAs: target.defaultSendAs = source.defaultSendAs
        }
    }

    /// Whether `a` and `b` hold the same setting for it: lists in order, and null == "" where
    /// `nullMeansEmpty`.
    package func isSame(in a: SipProfile, as b: SipProfile) -> Bool {
        if isList { return list(in: a) == list(in: b) }
        if nullMeansEmpty { return (text(in: a) ?? "") == (text(in: b) ?? "") }
        return text(in: a) == text(in: b)
    }

    private func text(in profile: SipProfile) -> String? {
        switch self {
        case .domainIdentifier: profile.domainIdentifier
        case .defaultEncryption: profile.defaultEncryption
        case .defaultSendAs: profile.defaultSendAs
        case .defaultCodecs, .defaultCiphers: nil
        }
    }

    private func list(in profile: SipProfile) -> [String]? {
        switch self {
        case .defaultCodecs: profile.defaultCodecs
        case .defaultCiphers: profile.defaultCiphers
        case .domainIdentifier, .defaultEncryption, .defaultSendAs: nil
        }
    }
}

import Foundation

/// A project's SIP profile as the API returns it. `domain` is read-only and never sent.
public struct SipProfile: Sendable, Equatable, Codable {
    public var domain: String?
    public var domainIdentifier: String?
    public var defaultCodecs: [String]?
    public var defaultCiphers: [String]?
    public var defaultEncryption: String?
    /// `nil` and "" both mean "pick a number of the project at random".
    public var defaultSendAs: String?

    public init(domain: String? = nil, domainIdentifier: String? = nil, defaultCodecs: [String]? = nil,
                defaultCiphers: [String]? = nil, defaultEncryption: String? = nil, defaultSendAs: String? = nil) {
        self.domain = domain
        self.domainIdentifier = domainIdentifier
        self.defaultCodecs = defaultCodecs
        self.defaultCiphers = defaultCiphers
        self.defaultEncryption = defaultEncryption
        self.defaultSendAs = defaultSendAs
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case domain
        case domainIdentifier = "domain_identifier"
        case defaultCodecs = "default_codecs"
        case defaultCiphers = "default_ciphers"
        case defaultEncryption = "default_encryption"
        case defaultSendAs = "default_send_as"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        domain = try container.decodeIfPresent(String.self, forKey: .domain)
        domainIdentifier = try container.decodeIfPresent(String.self, forKey: .domainIdentifier)
        defaultCodecs = try container.decodeIfPresent([String].self, forKey: .defaultCodecs)
        defaultCiphers = try container.decodeIfPresent([String].self, forKey: .defaultCiphers)
        defaultEncryption = try container.decodeIfPresent(String.self, forKey: .defaultEncryption)
        defaultSendAs = try container.decodeIfPresent(String.self, forKey: .defaultSendAs)
    }

    /// Encodes every field it has; `default_send_as` is always written (null when unset) because
    /// a PUT carries the whole profile.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(domain, forKey: .domain)
        try container.encodeIfPresent(domainIdentifier, forKey: .domainIdentifier)
        try container.encodeIfPresent(defaultCodecs, forKey: .defaultCodecs)
        try container.encodeIfPresent(defaultCiphers, forKey: .defaultCiphers)
        try container.encodeIfPresent(defaultEncryption, forKey: .defaultEncryption)
        if let defaultSendAs { try container.encode(defaultSendAs, forKey: .defaultSendAs) } else { try container.encodeNil(forKey: .defaultSendAs) }
    }

    /// The body of a PUT: the five writable fields, without `domain`.
    public var writable: SipProfile {
        var copy = self
        copy.domain = nil
        return copy
    }

    /// Equality as SPEC.md defines it: the five writable fields, lists in order, null == "".
    public func hasSameSettings(as other: SipProfile) -> Bool {
        domainIdentifier == other.domainIdentifier
            && defaultCodecs == other.defaultCodecs
            && defaultCiphers == other.defaultCiphers
            && defaultEncryption == other.defaultEncryption
            && (defaultSendAs ?? "") == (other.defaultSendAs ?? "")
    }

    /// `field: old → new` for each writable field that differs, in the API's field order.
    public func changes(to desired: SipProfile) -> [FieldChange] {
        func show(_ list: [String]?) -> String { list.map { "[" + $0.joined(separator: ", ") + "]" } ?? "(none)" }
        func show(_ text: String?) -> String { text.map { $0.isEmpty ? "\"\"" : $0 } ?? "null" }
        var result: [FieldChange] = []
        if domainIdentifier != desired.domainIdentifier {
            result.append(.init(field: "domain_identifier", old: show(domainIdentifier), new: show(desired.domainIdentifier)))
        }
        if defaultCodecs != desired.defaultCodecs {
            result.append(.init(field: "default_codecs", old: show(defaultCodecs), new: show(desired.defaultCodecs)))
        }
        if defaultCiphers != desired.defaultCiphers {
            result.append(.init(field: "default_ciphers", old: show(defaultCiphers), new: show(desired.defaultCiphers)))
        }
        if defaultEncryption != desired.defaultEncryption {
            result.append(.init(field: "default_encryption", old: show(defaultEncryption), new: show(desired.defaultEncryption)))
        }
        if (defaultSendAs ?? "") != (desired.defaultSendAs ?? "") {
            result.append(.init(field: "default_send_as", old: show(defaultSendAs), new: show(desired.defaultSendAs)))
        }
        return result
    }

    public func jsonData() -> Data {
        (try? Self.encoder.encode(self)) ?? Data("{}".utf8)
    }

    public func jsonString() -> String { String(decoding: jsonData(), as: UTF8.self) }

    public static func decode(_ data: Data) -> SipProfile? {
        try? JSONDecoder().decode(SipProfile.self, from: data)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

public struct FieldChange: Sendable, Equatable, Codable {
    public var field: String
    public var old: String
    public var new: String

    public init(field: String, old: String, new: String) {
        self.field = field
        self.old = old
        self.new = new
    }
}

/// The writable fields a template sets; the rest of the profile is kept as the API has it.
public struct ProfilePatch: Sendable, Equatable {
    public var domainIdentifier: String?
    public var defaultCodecs: [String]?
    public var defaultCiphers: [String]?
    public var defaultEncryption: String?
    /// `.some(nil)` sets null (pick at random); `nil` leaves the field alone.
    public var defaultSendAs: String??

    public init(domainIdentifier: String? = nil, defaultCodecs: [String]? = nil, defaultCiphers: [String]? = nil,
                defaultEncryption: String? = nil, defaultSendAs: String?? = nil) {
        self.domainIdentifier = domainIdentifier
        self.defaultCodecs = defaultCodecs
        self.defaultCiphers = defaultCiphers
        self.defaultEncryption = defaultEncryption
        self.defaultSendAs = defaultSendAs
    }

    /// The whole writable profile a PUT sends: the patch over the current one.
    public func applied(to current: SipProfile) -> SipProfile {
        var desired = current.writable
        if let domainIdentifier { desired.domainIdentifier = domainIdentifier }
        if let defaultCodecs { desired.defaultCodecs = defaultCodecs }
        if let defaultCiphers { desired.defaultCiphers = defaultCiphers }
        if let defaultEncryption { desired.defaultEncryption = defaultEncryption }
        if let defaultSendAs { desired.defaultSendAs = defaultSendAs }
        return desired
    }

    /// A patch that sets every writable field of `profile` (how rollback puts a profile back).
    public init(exactly profile: SipProfile) {
        self.init(domainIdentifier: profile.domainIdentifier, defaultCodecs: profile.defaultCodecs,
                  defaultCiphers: profile.defaultCiphers, defaultEncryption: profile.defaultEncryption,
                  defaultSendAs: .some(profile.defaultSendAs))
    }
}

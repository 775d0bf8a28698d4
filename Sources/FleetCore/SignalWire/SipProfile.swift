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

    /// One writable field's value as JSON (null when absent).
    public func value(of field: String) -> JSONValue {
        func list(_ items: [String]?) -> JSONValue { items.map { .array($0.map(JSONValue.string)) } ?? .null }
        switch field {
        case "domain_identifier": return domainIdentifier.map(JSONValue.string) ?? .null
        case "default_codecs": return list(defaultCodecs)
        case "default_ciphers": return list(defaultCiphers)
        case "default_encryption": return defaultEncryption.map(JSONValue.string) ?? .null
        default: return defaultSendAs.map(JSONValue.string) ?? .null
        }
    }

    /// Each writable field that differs, in the API's field order, with its old and new value.
    public func changes(to desired: SipProfile) -> [FieldChange] {
        var result: [FieldChange] = []
        for field in ProfileValidator.writableFields {
            let old = value(of: field), new = desired.value(of: field)
            let same = field == "default_send_as" ? (defaultSendAs ?? "") == (desired.defaultSendAs ?? "") : old == new
            if !same { result.append(FieldChange(field: field, old: old, new: new)) }
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

/// One field a write would change, with its values as JSON.
public struct FieldChange: Sendable, Equatable, Hashable, Codable {
    public var field: String
    public var old: JSONValue
    public var new: JSONValue

    public init(field: String, old: JSONValue, new: JSONValue) {
        self.field = field
        self.old = old
        self.new = new
    }

    /// `default_codecs: [PCMU, PCMA] → [OPUS, G722, PCMU]`
    public var text: String { "\(field): \(old.shortText) → \(new.shortText)" }
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

    /// The writable fields the patch sets.
    public var fields: Set<String> {
        var fields: Set<String> = []
        if domainIdentifier != nil { fields.insert("domain_identifier") }
        if defaultCodecs != nil { fields.insert("default_codecs") }
        if defaultCiphers != nil { fields.insert("default_ciphers") }
        if defaultEncryption != nil { fields.insert("default_encryption") }
        if defaultSendAs != nil { fields.insert("default_send_as") }
        return fields
    }

    /// A patch that sets every writable field of `profile` (how rollback puts a profile back).
    public init(exactly profile: SipProfile) {
        self.init(domainIdentifier: profile.domainIdentifier, defaultCodecs: profile.defaultCodecs,
                  defaultCiphers: profile.defaultCiphers, defaultEncryption: profile.defaultEncryption,
                  defaultSendAs: .some(profile.defaultSendAs))
    }
}

extension ProfilePatch {
    /// The fields the patch sets, as a JSON object.
    public var json: JSONValue {
        let profile = applied(to: SipProfile())
        return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0, profile.value(of: $0)) }))
    }
}

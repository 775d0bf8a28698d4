import Foundation

/// A project's SIP profile as the API returns it. `domain` is read-only and never sent.
package struct SipProfile: Sendable, Equatable, Codable {
    package var domain: String?
    package var domainIdentifier: String?
    package var defaultCodecs: [String]?
    package var defaultCiphers: [String]?
    package var defaultEncryption: String?
    /// `nil` and "" both mean "pick a number of the project at random".
    package var defaultSendAs: String?

    package init(domain: String? = nil, domainIdentifier: String? = nil, defaultCodecs: [String]? = nil,
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

    package init(from decoder: any Decoder) throws {
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
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(domain, forKey: .domain)
        try container.encodeIfPresent(domainIdentifier, forKey: .domainIdentifier)
        try container.encodeIfPresent(defaultCodecs, forKey: .defaultCodecs)
        try container.encodeIfPresent(defaultCiphers, forKey: .defaultCiphers)
        try container.encodeIfPresent(defaultEncryption, forKey: .defaultEncryption)
        if let defaultSendAs { try container.encode(defaultSendAs, forKey: .defaultSendAs) } else { try container.encodeNil(forKey: .defaultSendAs) }
    }

    /// The body of a PUT: the five writable fields, without `domain`.
    package var writable: SipProfile {
        var copy = self
        copy.domain = nil
        return copy
    }

    /// Equality as SPEC.md defines it: the five writable fields, lists in order, null == "".
    package func hasSameSettings(as other: SipProfile) -> Bool {
        domainIdentifier == other.domainIdentifier
            && defaultCodecs == other.defaultCodecs
            && defaultCiphers == other.defaultCiphers
            && defaultEncryption == other.defaultEncryption
            && (defaultSendAs ?? "") == (other.defaultSendAs ?? "")
    }

    /// One writable field's value as JSON (null when absent).
    package func value(of field: String) -> JSONValue {
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
    package func changes(to desired: SipProfile) -> [FieldChange] {
        var result: [FieldChange] = []
        for field in ProfileValidator.writableFields {
            let old = value(of: field), new = desired.value(of: field)
            let same = field == "default_send_as" ? (defaultSendAs ?? "") == (desired.defaultSendAs ?? "") : old == new
            if !same { result.append(FieldChange(field: field, old: old, new: new)) }
        }
        return result
    }

    /// The profile as JSON, keys sorted, `default_send_as` always there (null when unset): what
    /// `encode(to:)` gives through a `JSONEncoder` with sorted keys and unescaped slashes, written
    /// by hand because a PUT body is encoded for every project.
    package func jsonData() -> Data { Data(jsonString().utf8) }

    package func jsonString() -> String {
        var out = "{"
        func field(_ key: CodingKeys, _ value: String) {
            if out.utf8.count > 1 { out += "," }
            out += "\"\(key.rawValue)\":" + value
        }
        if let defaultCiphers { field(.defaultCiphers, JSONText.array(defaultCiphers)) }
        if let defaultCodecs { field(.defaultCodecs, JSONText.array(defaultCodecs)) }
        if let defaultEncryption { field(.defaultEncryption, JSONText.string(defaultEncryption)) }
        field(.defaultSendAs, defaultSendAs.map(JSONText.string) ?? "null")
        if let domain { field(.domain, JSONText.string(domain)) }
        if let domainIdentifier { field(.domainIdentifier, JSONText.string(domainIdentifier)) }
        return out + "}"
    }

    package static func decode(_ data: Data) -> SipProfile? {
        answer(data)?.profile
    }

    /// A profile as the API answered it, and the keys the answer had; nil when it is not a JSON
    /// object or a field has another type than the API's. Read with fleet's own JSON reader:
    /// Foundation's decoder cost a tenth of a rollout's CPU.
    package static func answer(_ data: Data) -> (profile: SipProfile, fields: Set<String>)? {
        guard case .object(let object)? = try? JSONParser.parse(data) else { return nil }
        /// `.some(nil)` for a field absent or null, nil for one of another type than `read` takes.
        func field<T>(_ key: CodingKeys, _ read: (JSONValue) -> T?) -> T?? {
            guard let value = object[key.rawValue], value != .null else { return .some(nil) }
            return read(value).map { .some($0) }
        }
        func text(_ key: CodingKeys) -> String?? { field(key, \.string) }
        func list(_ key: CodingKeys) -> [String]?? { field(key, \.strings) }
        guard let domain = text(.domain), let domainIdentifier = text(.domainIdentifier), let codecs = list(.defaultCodecs),
              let ciphers = list(.defaultCiphers), let encryption = text(.defaultEncryption), let sendAs = text(.defaultSendAs) else { return nil }
        let profile = SipProfile(domain: domain, domainIdentifier: domainIdentifier, defaultCodecs: codecs, defaultCiphers: ciphers,
                                 defaultEncryption: encryption, defaultSendAs: sendAs)
        return (profile, Set(object.keys))
    }

}

/// One field a write would change, with its values as JSON.
package struct FieldChange: Sendable, Equatable, Hashable, Codable {
    package var field: String
    package var old: JSONValue
    package var new: JSONValue

    package init(field: String, old: JSONValue, new: JSONValue) {
        self.field = field
        self.old = old
        self.new = new
    }

    /// `default_codecs: [PCMU, PCMA] → [OPUS, G722, PCMU]`
    package var text: String { "\(field): \(old.shortText) → \(new.shortText)" }
}

/// The writable fields a template sets; the rest of the profile is kept as the API has it.
package struct ProfilePatch: Sendable, Equatable {
    package var domainIdentifier: String?
    package var defaultCodecs: [String]?
    package var defaultCiphers: [String]?
    package var defaultEncryption: String?
    /// `.some(nil)` sets null (pick at random); `nil` leaves the field alone.
    package var defaultSendAs: String??

    package init(domainIdentifier: String? = nil, defaultCodecs: [String]? = nil, defaultCiphers: [String]? = nil,
                defaultEncryption: String? = nil, defaultSendAs: String?? = nil) {
        self.domainIdentifier = domainIdentifier
        self.defaultCodecs = defaultCodecs
        self.defaultCiphers = defaultCiphers
        self.defaultEncryption = defaultEncryption
        self.defaultSendAs = defaultSendAs
    }

    /// The whole writable profile a PUT sends: the patch over the current one.
    package func applied(to current: SipProfile) -> SipProfile {
        var desired = current.writable
        if let domainIdentifier { desired.domainIdentifier = domainIdentifier }
        if let defaultCodecs { desired.defaultCodecs = defaultCodecs }
        if let defaultCiphers { desired.defaultCiphers = defaultCiphers }
        if let defaultEncryption { desired.defaultEncryption = defaultEncryption }
        if let defaultSendAs { desired.defaultSendAs = defaultSendAs }
        return desired
    }

    /// The writable fields the patch sets.
    package var fields: Set<String> {
        var fields: Set<String> = []
        if domainIdentifier != nil { fields.insert("domain_identifier") }
        if defaultCodecs != nil { fields.insert("default_codecs") }
        if defaultCiphers != nil { fields.insert("default_ciphers") }
        if defaultEncryption != nil { fields.insert("default_encryption") }
        if defaultSendAs != nil { fields.insert("default_send_as") }
        return fields
    }

    /// A patch that sets every writable field of `profile` (how rollback puts a profile back).
    package init(exactly profile: SipProfile) {
        self.init(domainIdentifier: profile.domainIdentifier, defaultCodecs: profile.defaultCodecs,
                  defaultCiphers: profile.defaultCiphers, defaultEncryption: profile.defaultEncryption,
                  defaultSendAs: .some(profile.defaultSendAs))
    }
}

extension ProfilePatch {
    /// The fields the patch sets, as a JSON object.
    package var json: JSONValue {
        let profile = applied(to: SipProfile())
        return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0, profile.value(of: $0)) }))
    }
}

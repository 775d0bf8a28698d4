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

    package init(
        domain: String? = nil, domainIdentifier: String? = nil, defaultCodecs: [String]? = nil,
        defaultCiphers: [String]? = nil, defaultEncryption: String? = nil, defaultSendAs: String? = nil
    ) {
        self.domain = domain
        self.domainIdentifier = domainIdentifier
        self.defaultCodecs = defaultCodecs
        self.defaultCiphers = defaultCiphers
        self.defaultEncryption = defaultEncryption
        self.defaultSendAs = defaultSendAs
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let domain = Key(stringValue: "domain")
    }

    /// Decodes strictly: a field of another shape than the API's is an error.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        self.init(domain: try container.decodeIfPresent(String.self, forKey: .domain))
        for field in ProfileField.allCases {
            let key = Key(stringValue: field.key)
            let value = try container.decodeIfPresent(JSONValue.self, forKey: key) ?? .null
            guard value == .null || (field.isList ? value.strings != nil : value.string != nil) else {
                throw DecodingError.typeMismatch(
                    JSONValue.self, .init(codingPath: [key], debugDescription: "\(field.key) is \(value.typeName)"))
            }
            field.set(value, in: &self)
        }
    }

    /// Encodes every field it has; `default_send_as` is always written (null when unset) because
    /// a PUT carries the whole profile.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(domain, forKey: .domain)
        for field in ProfileField.allCases {
            let value = field.value(in: self)
            if value != .null || field.nullMeansEmpty {
                try container.encode(value, forKey: Key(stringValue: field.key))
            }
        }
    }

    /// The body of a PUT: the five writable fields, without `domain`.
    package var writable: SipProfile {
        var copy = self
        copy.domain = nil
        return copy
    }

    /// Equality as the API reference defines it: the five writable fields, lists in order,
    /// null == "" for `default_send_as`.
    package func hasSameSettings(as other: SipProfile) -> Bool {
        ProfileField.allCases.allSatisfy { $0.isSame(in: self, as: other) }
    }

    /// Each writable field that differs, in the API's field order, with its old and new value.
    package func changes(to desired: SipProfile) -> [FieldChange] {
        ProfileField.allCases.compactMap { field in
            field.isSame(in: self, as: desired)
                ? nil : FieldChange(field: field, old: field.value(in: self), new: field.value(in: desired))
        }
    }

    /// The profile as JSON, keys sorted, `default_send_as` always there (null when unset): what
    /// `encode(to:)` gives through a `JSONEncoder` with sorted keys and unescaped slashes, written
    /// by hand because a PUT body is encoded for every project.
    package func jsonData() -> Data { Data(jsonString().utf8) }

    package func jsonString() -> String {
        var out = "{"
        for key in Self.sortedKeys {
            let value: String
            switch key {
            case .domain:
                guard let domain else { continue }
                value = JSONText.string(domain)
            case .field(let field):
                switch field.value(in: self) {
                case .null where field.nullMeansEmpty: value = "null"
                case .null: continue
                case .string(let text): value = JSONText.string(text)
                case let list: value = JSONText.array(list.strings ?? [])
                }
            }
            if out.utf8.count > 1 { out += "," }
            out += "\"\(key.name)\":" + value
        }
        return out + "}"
    }

    private enum SortedKey {
        case domain
        case field(ProfileField)
        var name: String {
            switch self {
            case .domain: "domain"
            case .field(let field): field.key
            }
        }
    }

    private static let sortedKeys = ([.domain] + ProfileField.allCases.map(SortedKey.field)).sorted {
        $0.name < $1.name
    }

    package static func decode(_ data: Data) -> SipProfile? {
        answer(data)?.profile
    }

    /// A profile as the API answered it, and the keys the answer had; nil when it is not a JSON
    /// object or a field has another type than the API's. Read with fleet's own JSON reader:
    /// Foundation's decoder cost a tenth of a rollout's CPU.
    package static func answer(_ data: Data) -> (profile: SipProfile, fields: Set<ProfileField>)? {
        guard case .object(let object)? = try? JSONParser.parse(data) else { return nil }
        var profile = SipProfile()
        switch object["domain"] ?? .null {
        case .null: break
        case .string(let domain): profile.domain = domain
        default: return nil
        }
        for field in ProfileField.allCases {
            guard let value = object[field.key], value != .null else { continue }
            guard field.isList ? value.strings != nil : value.string != nil else { return nil }
            field.set(value, in: &profile)
        }
        return (profile, Set(object.keys.compactMap(ProfileField.init(rawValue:))))
    }

}

import Foundation

/// The writable fields a template sets; the rest of the profile is kept as the API has it.
package struct ProfilePatch: Sendable, Equatable {
    package var domainIdentifier: String?
    package var defaultCodecs: [String]?
    package var defaultCiphers: [String]?
    package var defaultEncryption: String?
    /// `.some(nil)` sets null (pick at random); `nil` leaves the field alone.
    package var defaultSendAs: String??

    package init(
        domainIdentifier: String? = nil, defaultCodecs: [String]? = nil, defaultCiphers: [String]? = nil,
        defaultEncryption: String? = nil, defaultSendAs: String?? = nil
    ) {
        self.domainIdentifier = domainIdentifier
        self.defaultCodecs = defaultCodecs
        self.defaultCiphers = defaultCiphers
        self.defaultEncryption = defaultEncryption
        self.defaultSendAs = defaultSendAs
    }

    /// The whole writable profile a PUT sends: the patch over the current one.
    package func applied(to current: SipProfile) -> SipProfile {
        var desired = current.writable
        let values = self.values
        for field in fields { field.copy(from: values, to: &desired) }
        return desired
    }

    /// The writable fields the patch sets.
    package var fields: Set<ProfileField> {
        var fields: Set<ProfileField> = []
        if domainIdentifier != nil { fields.insert(.domainIdentifier) }
        if defaultCodecs != nil { fields.insert(.defaultCodecs) }
        if defaultCiphers != nil { fields.insert(.defaultCiphers) }
        if defaultEncryption != nil { fields.insert(.defaultEncryption) }
        if defaultSendAs != nil { fields.insert(.defaultSendAs) }
        return fields
    }

    /// The values it sets, as a profile (a field it does not set is unset there).
    private var values: SipProfile {
        SipProfile(
            domainIdentifier: domainIdentifier, defaultCodecs: defaultCodecs, defaultCiphers: defaultCiphers,
            defaultEncryption: defaultEncryption, defaultSendAs: defaultSendAs ?? nil)
    }

    /// The patch that sets `fields` to their values in `object` (a validated body).
    package init(_ object: [String: JSONValue]) {
        var values = SipProfile()
        var fields: Set<ProfileField> = []
        for field in ProfileField.allCases {
            guard let value = object[field.key] else { continue }
            field.set(value, in: &values)
            fields.insert(field)
        }
        self.init(values, fields: fields)
    }

    /// A patch that sets `fields` to their values in `profile`.
    package init(_ profile: SipProfile, fields: Set<ProfileField>) {
        self.init(
            domainIdentifier: fields.contains(.domainIdentifier) ? profile.domainIdentifier : nil,
            defaultCodecs: fields.contains(.defaultCodecs) ? profile.defaultCodecs : nil,
            defaultCiphers: fields.contains(.defaultCiphers) ? profile.defaultCiphers : nil,
            defaultEncryption: fields.contains(.defaultEncryption) ? profile.defaultEncryption : nil,
            defaultSendAs: fields.contains(.defaultSendAs) ? .some(profile.defaultSendAs) : nil)
    }

    /// A patch that sets every writable field of `profile` (how rollback puts a profile back).
    package init(exactly profile: SipProfile) {
        self.init(profile, fields: Set(ProfileField.allCases))
    }
}

extension ProfilePatch {
    /// The fields the patch sets, as a JSON object.
    package var json: JSONValue {
        let profile = applied(to: SipProfile())
        return .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value(in: profile)) }))
    }
}

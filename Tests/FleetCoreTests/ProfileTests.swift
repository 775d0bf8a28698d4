import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

@Suite struct ProfileTests {
    @Test func equalityComparesWritableFieldsInOrderAndTreatsNullAsEmpty() {
        let a = SipProfile(domain: "a", domainIdentifier: "x", defaultCodecs: ["OPUS", "PCMU"], defaultSendAs: nil)
        var b = a
        b.domain = "b"
        b.defaultSendAs = ""
        #expect(a.hasSameSettings(as: b))
        b.defaultCodecs = ["PCMU", "OPUS"]
        #expect(!a.hasSameSettings(as: b))
    }

    @Test func aPutBodyCarriesEveryWritableFieldAndNeverTheDomain() {
        let profile = SipProfile(
            domain: "d.sip.signalwire.com", domainIdentifier: "d", defaultCodecs: ["OPUS"],
            defaultEncryption: "required")
        #expect(
            profile.writable.jsonString()
                == #"{"default_codecs":["OPUS"],"default_encryption":"required","default_send_as":null,"domain_identifier":"d"}"#
        )
    }

    @Test func e164() {
        #expect(ProfileValidator.isE164("+15551234567"))
        #expect(ProfileValidator.isE164("+12"))
        #expect(!ProfileValidator.isE164("+1"))
        #expect(!ProfileValidator.isE164("+0123"))
        #expect(!ProfileValidator.isE164("15551234567"))
        #expect(!ProfileValidator.isE164("+1234567890123456"))
    }
}

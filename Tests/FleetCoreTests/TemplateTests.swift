import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

@Suite struct TemplateTests {
    static let fixture = try! Fixture(projects: TestProject.make(1))
    static let project = try! fixture.database.projects(Selection())[0]

    @Test func placeholdersAreFilledFromTheProject() throws {
        let template = try Template(
            name: "t", text: #"{"domain_identifier": "{{ space }}-{{label}}", "default_send_as": "{{send_as}}"}"#)

        let patch = try template.render(for: Self.project).get()

        #expect(patch.domainIdentifier == "space0-Project 0")
        #expect(patch.defaultSendAs == .some("+15550001111"))
        #expect(template.placeholderNames == ["space", "label", "send_as"])
    }

    @Test func everyStructuralProblemIsListedWithTheFileName() {
        let text =
            #"{"colour": 1, "default_codecs": ["OPUS", "G729", 3], "default_encryption": "maybe", "default_send_as": "555", "domain_identifier": "{{oops"}"#

        let error = #expect(throws: FleetError.self) { try Template(name: "bad.json", text: text) }

        #expect(error?.status == .dataError)
        #expect(error?.message == "bad.json is not a valid template; fix it and try again.")
        #expect(
            error?.details == [
                "bad.json: unknown field \"colour\"; allowed fields are domain_identifier, default_codecs, default_ciphers, default_encryption, default_send_as",
                "bad.json: default_codecs[1] \"G729\" is not one of OPUS, G722, PCMU, PCMA, VP8, H264",
                "bad.json: default_codecs[2] must be a string, not a number",
                "bad.json: default_encryption \"maybe\" is not one of required, optional",
                "bad.json: default_send_as \"555\" is not an E.164 number (+ then 2 to 15 digits, the first not 0), null or \"\"",
                "bad.json: \"{{oops\" has a {{ without a closing }}",
            ])
    }

    @Test func aFilledValueIsValidatedPerProject() throws {
        let template = try Template(name: "t", text: #"{"default_send_as": "{{label}}"}"#)

        let error = #expect(throws: FleetError.self) { try template.renderAll([Self.project]) }

        #expect(
            error?.details == [
                "t: after filling placeholders, default_send_as \"Project 0\" is not an E.164 number (+ then 2 to 15 digits, the first not 0), null or \"\" (1 of 1 projects: space0 \(Self.project.projectID))"
            ])
    }

    @Test func notJSONAndNotAnObjectAreRefused() {
        #expect(
            throws: FleetError(
                "t:1: the text ends where a key should be; a template is a JSON object such as {\"default_encryption\": \"required\"}."
            )
        ) {
            try Template(name: "t", text: "{")
        }
        #expect(
            throws: FleetError(
                "t:3: the key \"default_codecs\" appears twice in one object; a template is a JSON object such as {\"default_encryption\": \"required\"}."
            )
        ) {
            try Template(
                name: "t",
                text:
                    "{\"default_codecs\": [\"OPUS\"],\n \"default_encryption\": \"required\",\n \"default_codecs\": [\"PCMU\"]}"
            )
        }
        #expect(throws: FleetError("t must hold a JSON object of SIP-profile fields, not an array.")) {
            try Template(name: "t", text: "[]")
        }
    }
}

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

@Suite struct RetryAndRateTests {
    @Test func backoffGrowsToItsCapAndRetryAfterWins() {
        let policy = RetryPolicy(maxAttempts: 10)
        let server = RequestFailure(kind: .server, message: "")
        #expect(policy.delay(after: server, attempt: 1, unit: 1) == .milliseconds(250))
        #expect(policy.delay(after: server, attempt: 4, unit: 1) == .seconds(2))
        #expect(policy.delay(after: server, attempt: 9, unit: 1) == .seconds(30))
        #expect(policy.delay(after: server, attempt: 4, unit: 0) == .zero)
        #expect(policy.delay(after: server, attempt: 10, unit: 1) == nil)
        #expect(
            policy.delay(
                after: RequestFailure(kind: .rateLimited, message: "", retryAfter: .seconds(7)), attempt: 1, unit: 0.1)
                == .seconds(7))
        #expect(policy.delay(after: RequestFailure(kind: .unauthorized, message: ""), attempt: 1, unit: 1) == nil)
        #expect(policy.delay(after: RequestFailure(kind: .validation, message: ""), attempt: 1, unit: 1) == nil)
    }

    @Test func aRateSpacesRequestsAfterItsBurstAndTakesATokenWhenOneIsDue() {
        var rate = RateController(ceiling: 10, now: .zero)
        let taken = [rate.take(at: .zero), rate.take(at: .zero)]
        let next = rate.nextToken(after: .zero)
        let later = [
            rate.take(at: .milliseconds(100)), rate.take(at: .milliseconds(300)), rate.take(at: .milliseconds(300)),
        ]
        #expect(taken == [true, false])
        #expect(next == .milliseconds(100))
        #expect(later == [true, true, false], "a burst of 1 at 10/s")
    }

    @Test func inSlowStartEachAnswerAddsOneRequestPerRoundTripUpToTheCeiling() {
        func rate(after roundTrip: Duration, answers: Int = 1, ceiling: Double = 1000) -> Double {
            var rate = RateController(ceiling: ceiling, now: .zero)
            for _ in 0..<answers {
                rate.observe(
                    Observation(
                        index: 0, sentAt: .seconds(1), status: 200, failure: nil, firstOfTask: true,
                        cursor: TaskCursor(index: 0, requests: 0, hasBefore: false)), now: .seconds(1) + roundTrip)
            }
            return rate.rate
        }
        #expect(rate(after: .milliseconds(20)) == 70, "20/s + 1 / 20 ms")
        #expect(rate(after: .milliseconds(100)) == 30, "a slow space grows slowly")
        #expect(rate(after: .milliseconds(1)) == 120, "at most 100/s an answer")
        #expect(rate(after: .milliseconds(20), answers: 40, ceiling: 500) == 500, "never above --rate")
    }

    @Test func apiBaseAllowsPlainHTTPOnlyOnLoopback() throws {
        #expect(throws: Never.self) { try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest") }
        #expect(throws: Never.self) { try APIBase("http://localhost/{space}") }
        #expect(throws: Never.self) { try APIBase("http://[::1]:9/{space}") }
        #expect(throws: Never.self) { try APIBase("https://{space}.signalwire.com/api/relay/rest") }
        #expect(throws: FleetError.self) { try APIBase("http://10.0.0.1/{space}") }
        #expect(throws: FleetError.self) { try APIBase("http://{space}.signalwire.com/api/relay/rest") }
        #expect(throws: FleetError.self) { try APIBase("https://api.example.com/rest") }
        #expect(
            try APIBase("https://{space}.signalwire.com/api/relay/rest/").profileURL(space: "acme")
                == "https://acme.signalwire.com/api/relay/rest/sip_profile")
        #expect(
            try APIBase("https://{space}.signalwire.com/api/relay/rest").host(space: "acme") == "acme.signalwire.com")
        #expect(try APIBase("https://{space}.example.com:8443/api").host(space: "acme") == "acme.example.com:8443")
        #expect(try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest").host(space: "acme") == "127.0.0.1:8080")
        #expect(
            try APIBase("http://127.0.0.1:8080/{space}/api/relay/rest").profileURL(space: "acme")
                == "http://127.0.0.1:8080/acme/api/relay/rest/sip_profile")
    }

    @Test func tokensAreMaskedAndSealedTokensOpenOnlyWithTheirKey() throws {
        #expect(Credentials.mask("PT0123456789abcdef0123456789abcdef0123456789ab1a2b") == "PT…1a2b")
        #expect(Credentials.mask("short") == "…")
        let vault = TokenVault(keyBytes: Data(repeating: 7, count: 32))
        let sealed = try vault.seal("PTsecret")
        #expect(!sealed.contains("PTsecret"))
        #expect(try vault.open(sealed, project: "p") == "PTsecret")
        #expect(throws: FleetError.self) {
            try TokenVault(keyBytes: Data(repeating: 8, count: 32)).open(sealed, project: "p")
        }
        #expect(throws: FleetError.self) { try TokenVault(keyBytes: nil).open(sealed, project: "p") }
        #expect(throws: FleetError.self) { try TokenVault.fromEnvironment(["FLEET_KEY": "tooshort"]) }
    }
}

@Suite struct TimestampTests {
    @Test func timestampsAreISO8601UTCWithMillisecondsAndParseBack() {
        let date = Date(timeIntervalSince1970: 1_796_013_250.123_4)
        #expect(FleetDatabase.timestamp(date) == "2026-11-30T04:34:10.123Z")
        #expect(FleetDatabase.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        let parsed = FleetDatabase.date(from: "2026-11-30T04:34:10.123Z")?.timeIntervalSince1970 ?? 0
        #expect(abs(parsed - 1_796_013_250.123) < 0.000_5)
    }
}

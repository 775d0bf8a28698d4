import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

/// Thousands of generated inputs, from fixed seeds, for every parser that reads what others
/// write: never a crash, always a clear error, never a partial import, never a token in a message.
@Suite struct PropertyTests {
    static let cases = 2000

    @Test func theInventoryReaderAcceptsOnlyGoodFilesAndNamesEveryBadLine() throws {
        var random = SeededRandom(seed: 1)
        let pieces = [
            ",", "\"", "\"\"", "\n", "\r\n", "\r", "acme", "beta-2", "-x", "a.b",
            "11111111-2222-4333-8444-555555555555",
            "66666666-7777-4888-9999-aaaaaaaaaaaa", "PTtoken0123456789", "", " ", "true", "false", "maybe", "\u{0}",
            "\u{1B}",
            "é", "\u{FEFF}", "label", "tags", "enabled", "send_as", "enabeld", ";", "x y",
        ]
        let header = [
            "space,project_id,token", "space,project_id,token,label,tags,enabled,send_as", "space,project-id,token", "",
            "token",
        ]
        var accepted = 0
        for _ in 0..<Self.cases {
            let body = (0..<Int.random(in: 0...40, using: &random)).map { _ in random.pick(pieces) }.joined()
            let text = random.pick(header) + "\n" + body
            let lines = text.split(
                omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }
            ).count
            do {
                let file = try InventoryFile.parse(bytes: Array(text.utf8), path: "f.csv")
                accepted += 1
                for row in file.rows {
                    #expect(!row.token.isEmpty)
                    #expect(SpaceName.problem(with: row.space) == nil)
                    #expect(!(row.token + (row.label ?? "")).unicodeScalars.contains { $0.value < 0x20 })
                }
            } catch let error as FleetError {
                #expect(error.status == .dataError)
                #expect(error.message.hasPrefix("f.csv has "))
                for detail in error.details {
                    let line = detail.split(separator: ":").dropFirst().first.flatMap { Int($0) }
                    #expect(detail.hasPrefix("f.csv:") && line.map { $0 >= 1 && $0 <= lines } == true, "\(detail)")
                }
            }
        }
        #expect(accepted > 0)
    }

    @Test func aFailedImportLeavesTheInventoryAsItWas() throws {
        var random = SeededRandom(seed: 2)
        let fixture = try Fixture(projects: TestProject.make(3))
        let good = TestProject.make(40, salt: "p")
        for round in 0..<150 {
            let before = try fixture.database.projects(Selection(includeDisabled: true))
            var rows = good.shuffled(using: &random).prefix(Int.random(in: 1...10, using: &random)).map {
                "\($0.space),\($0.projectID),\($0.token)"
            }
            if round % 2 == 0 {
                rows.insert(
                    random.pick(["bad space,x,y", "acme,\(UUID().uuidString),", "a,b"]),
                    at: Int.random(in: 0...rows.count, using: &random))
            }
            let bytes = Array(("space,project_id,token\n" + rows.joined(separator: "\n")).utf8)
            guard let file = try? InventoryFile.parse(bytes: bytes, path: "f.csv") else {
                #expect(try fixture.database.projects(Selection(includeDisabled: true)) == before)
                continue
            }
            _ = try fixture.database.importInventory(file, vault: TokenVault(keyBytes: nil), now: Date())
            #expect(try fixture.database.projects(Selection(includeDisabled: true)).count >= before.count)
        }
    }

    @Test func templatesAreParsedOrRefusedWithTheirName() throws {
        var random = SeededRandom(seed: 3)
        let base =
            #"{"default_encryption": "required", "default_codecs": ["OPUS", "G722"], "default_send_as": "{{send_as}}", "domain_identifier": "{{space}}-x"}"#
        let inserts = [
            "{", "}", "[", "]", "\"", ",", ":", "\\", "\\u", "\\ud800", "{{", "}}", "null", "1e999", "-", "\u{0}",
            "\"default_codecs\": []",
            String(repeating: "[", count: 300), "é", "\n",
        ]
        let fixture = try Fixture(projects: TestProject.make(1))
        let project = try fixture.database.projects(Selection())[0]
        for _ in 0..<Self.cases {
            var text = Array(base)
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0...text.count, using: &random)
                if Bool.random(using: &random), position < text.count {
                    text.removeSubrange(position..<min(text.count, position + Int.random(in: 1...5, using: &random)))
                } else {
                    text.insert(contentsOf: random.pick(inserts), at: position)
                }
            }
            do {
                let template = try Template(name: "t.json", text: String(text))
                if case .failure(let error) = template.render(for: project) { #expect(!error.problems.isEmpty) }
            } catch let error as FleetError {
                #expect(error.message.hasPrefix("t.json"))
                #expect(error.details.allSatisfy { $0.hasPrefix("t.json: ") })
            }
        }
    }

    @Test func retryAfterIsEitherIgnoredOrWithinItsCap() {
        var random = SeededRandom(seed: 4)
        let now = Date(timeIntervalSince1970: 1_796_000_000)
        let pieces = [
            "0", "1", "9", "120", "121", "99999999999999999999999", "-", "+", ".", "e", "inf", "nan", " ", "\t", "GMT",
            "Wed, 21 Oct 2015 07:28:00 GMT", "Mon, 30 Nov 2026 12:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "x",
            "0x10", "١",
        ]
        for _ in 0..<(Self.cases * 3) {
            let value = (0..<Int.random(in: 0...4, using: &random)).map { _ in random.pick(pieces) }.joined()
            if let wait = RetryAfter.parse(value, now: now) {
                #expect(wait >= .zero && wait <= RetryAfter.cap, "\(value) → \(wait)")
            }
        }
        #expect(RetryAfter.parse("7", now: now) == .seconds(7))
        #expect(RetryAfter.parse("1e20", now: now) == nil)
        #expect(RetryAfter.parse("Mon, 30 Nov 2026 12:00:00 GMT", now: now) == RetryAfter.cap)
        #expect(
            RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: Date(timeIntervalSince1970: 784_111_717))
                == .seconds(60))
        #expect(
            RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: Date(timeIntervalSince1970: 784_111_717))
                == .seconds(60))
        #expect(
            RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: Date(timeIntervalSince1970: 784_111_717)) == .seconds(60))
    }

    @Test func anyAnswerIsAProfileOrAClassifiedFailure() {
        var random = SeededRandom(seed: 5)
        let credentials = Credentials(
            projectID: "11111111-2222-4333-8444-555555555555", token: "PTsecret00000000000000000000000000001a2b")
        let keys = [
            "domain", "domain_identifier", "default_codecs", "default_ciphers", "default_encryption", "default_send_as",
            "x",
        ]
        let values = [
            "null", "1", "\"s\"", "[]", "[\"OPUS\"]", "{}", "true", "[1]",
            "\"PTsecret00000000000000000000000000001a2b\"",
        ]
        for _ in 0..<Self.cases {
            let pairs = (0..<Int.random(in: 0...6, using: &random)).map { _ in
                "\"\(random.pick(keys))\": \(random.pick(values))"
            }
            let text =
                Bool.random(using: &random)
                ? "{" + pairs.joined(separator: ",") + "}" : random.pick(["[]", "null", "", "{", "\"x\"", "{}"])
            let status = random.pick([200, 201, 204, 302, 401, 422, 429, 500, 503])
            let response = TransportResponse(
                status: status, retryAfter: random.pick([nil, "1", "inf"]), body: Data(text.utf8))
            switch SignalWireAPI.classify(
                response, method: random.pick([.get, .put]), credentials: credentials, now: Date())
            {
            case .success(let answer):
                #expect([200, 201].contains(answer.status))
                #expect(!answer.json.contains(credentials.token))
            case .failure(let failure):
                #expect(failure.httpStatus == status)
                #expect(!failure.message.isEmpty && !failure.message.contains(credentials.token))
            }
        }
    }

    @Test func aProfileIsWrittenAndReadExactlyAsFoundationsJSONCodersWould() throws {
        var random = SeededRandom(seed: 7)
        let pieces = [
            "a", "OPUS", "/", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}", "é", "€",
            "😀", "\u{2028}", " ", "+1555",
        ]
        func text() -> String { (0..<Int.random(in: 0...4, using: &random)).map { _ in random.pick(pieces) }.joined() }
        func optional<T>(_ make: () -> T) -> T? { Bool.random(using: &random) ? make() : nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<Self.cases {
            let profile = SipProfile(
                domain: optional(text), domainIdentifier: optional(text),
                defaultCodecs: optional { (0..<Int.random(in: 0...3, using: &random)).map { _ in text() } },
                defaultCiphers: optional { (0..<Int.random(in: 0...3, using: &random)).map { _ in text() } },
                defaultEncryption: optional(text), defaultSendAs: optional(text))
            let foundation = try encoder.encode(profile)
            #expect(profile.jsonString() == String(decoding: foundation, as: UTF8.self))
            let read = try #require(SipProfile.answer(foundation))
            #expect(read.profile == (try JSONDecoder().decode(SipProfile.self, from: foundation)))
            #expect(
                read.fields
                    == Set(
                        (try JSONSerialization.jsonObject(with: foundation) as! [String: Any]).keys.compactMap(
                            ProfileField.init(rawValue:))))
        }
        #expect(SipProfile.answer(Data(#"{"default_codecs": ["OPUS", 1]}"#.utf8)) == nil)
        #expect(SipProfile.answer(Data(#"{"default_encryption": 1}"#.utf8)) == nil)
        #expect(SipProfile.answer(Data(#"[]"#.utf8)) == nil)
        #expect(SipProfile.answer(Data(#"{"default_send_as": null, "x": {}}"#.utf8))?.fields == [.defaultSendAs])
    }

    @Test func aProjectOfTheStatusReportIsWrittenAsFoundationsEncoderWould() throws {
        // Its properties are the JSON keys of the schema, snake_case as written.
        // swift-format-ignore: AlwaysUseLowerCamelCase
        struct Reference: Encodable {
            var space: String, project_id: String, label: String, status: String, wave: Int, attempts: Int
            @NullEncoded var http_status: Int?
            @NullEncoded var error_kind: String?
            @NullEncoded var error: String?
        }
        var random = SeededRandom(seed: 8)
        let pieces = [
            "a", "acme", "/", "\"", "\\", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{01}", "\u{1F}", "\u{7F}", "é", "€",
            "😀", "\u{2028}", " ", "=1+1",
        ]
        func text() -> String { (0..<Int.random(in: 0...4, using: &random)).map { _ in random.pick(pieces) }.joined() }
        for _ in 0..<Self.cases {
            let project = ProjectOutcome(
                space: text(), projectID: text(), label: text(), status: random.pick(TaskState.allCases),
                wave: Int.random(in: 1...9, using: &random), attempts: Int.random(in: 0...99, using: &random),
                httpStatus: Bool.random(using: &random) ? Int.random(in: 100...599, using: &random) : nil,
                errorKind: Bool.random(using: &random) ? random.pick(ErrorKind.all) : nil,
                error: Bool.random(using: &random) ? text() : nil)
            let reference = Reference(
                space: project.space, project_id: project.projectID, label: project.label,
                status: project.status.rawValue,
                wave: project.wave, attempts: project.attempts, http_status: project.httpStatus,
                error_kind: project.errorKind?.rawValue, error: project.error)
            #expect(try StatusReport.json(project) == ReportJSON.encode(reference))
        }
    }

    /// Tokens of any shape (punctuation `:.~%+/=`, 1 to 200 characters) echoed plain, in a Basic
    /// header, as base64 at any alignment or as a 16-character fragment: no 12-character window
    /// of the token (the whole token when shorter), nor of its base64 forms, survives.
    @Test func aTokenOfAnyShapeLeavesNoTwelveCharacterWindowInAnyForm() {
        var random = SeededRandom(seed: 22)
        let alphabet = "abcfXYZ0189:.~%+/=-_"
        for _ in 0..<Self.cases / 2 {
            let token = random.string(Int.random(in: 1...200, using: &random), from: alphabet)
            let credentials = Credentials(projectID: "11111111-2222-4333-8444-555555555555", token: token)
            let pad = random.string(Int.random(in: 0...2, using: &random), from: "ab")
            let base64 = Data((pad + token).utf8).base64EncodedString()
            let forms = [
                token, credentials.authorization, base64,
                base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
                String(token.dropFirst(Int.random(in: 0...max(0, token.count - 16), using: &random)).prefix(16)),
            ]
            let text =
                (0..<Int.random(in: 1...5, using: &random)).map { _ in
                    random.string(Int.random(in: 0...30, using: &random), from: " ,;\"'!?()[]<>") + random.pick(forms)
                }.joined() + " tail"
            let scrubbed = Array(credentials.scrub(text, limit: 100_000).utf8)
            let tokenBytes = Array(token.utf8)
            for secret in [tokenBytes] + TokenScrubber.base64Cores(of: tokenBytes).filter({ $0.count >= 4 }) {
                let width = min(12, secret.count)
                let windows = Set(scrubbed.indices.dropLast(width - 1).map { scrubbed[$0..<($0 + width)] })
                let leaked = secret.indices.dropLast(width - 1).first { windows.contains(secret[$0..<($0 + width)]) }
                #expect(
                    leaked == nil,
                    "\(width) characters of \(token) (or its base64) survived in \(String(decoding: scrubbed, as: UTF8.self))"
                )
            }
        }
    }

    /// The scrubber's quick look at the text (its 4-byte pieces) never lets through what the full
    /// search would mask: texts with fragments of 13 to 20 characters of every form, at any
    /// offset, in tokens with `-`, `_`, `+` and `/`, among JSON of a profile.
    @Test func theQuickLookNeverPassesTextTheFullSearchWouldMask() {
        var random = SeededRandom(seed: 31)
        let alphabet = "abcXYZ0189-_+/=.:"
        var masked = 0
        for _ in 0..<Self.cases * 2 {
            let token = random.string(Int.random(in: 4...70, using: &random), from: alphabet)
            let scrubber = TokenScrubber(token: token)
            let pad = random.string(Int.random(in: 0...2, using: &random), from: "ab")
            let base64 = Data((pad + token).utf8).base64EncodedString()
            let forms = [
                token, base64,
                base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
            ]
            let text = (0..<Int.random(in: 1...4, using: &random)).map { _ in
                let form = random.pick(forms)
                let length = min(form.count, Int.random(in: 13...20, using: &random))
                let fragment = form.dropFirst(Int.random(in: 0...(form.count - length), using: &random)).prefix(length)
                return random.pick([#"{"default_codecs":["OPUS","G722"],"#, #""domain_identifier":""#, "x"]) + fragment
            }.joined()
            let quick = scrubber.scrub(text)
            #expect(quick == scrubber.search(text), "token \(token), text \(text)")
            if quick != text { masked += 1 }
        }
        #expect(masked > Self.cases, "most texts hold a fragment long enough to be masked")
    }

    @Test func aTokenIsNeverLeftInAScrubbedMessageInAnyForm() {
        var random = SeededRandom(seed: 6)
        let alphabet = "abcdefABCDEF0123456789xyzXYZ-_+/=.~"
        for _ in 0..<(Self.cases / 2) {
            let token =
                random.pick(["PT", "", "sk_"]) + random.string(Int.random(in: 10...64, using: &random), from: alphabet)
            let credentials = Credentials(projectID: "11111111-2222-4333-8444-555555555555", token: token)
            let pad = random.string(Int.random(in: 0...2, using: &random), from: "ab")
            let forms = [
                token, credentials.authorization, Data((pad + token).utf8).base64EncodedString(),
                Data((pad + token).utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                    .replacingOccurrences(of: "/", with: "_"),
                String(token.dropFirst(Int.random(in: 0...max(0, token.count - 16), using: &random)).prefix(16)),
            ]
            let text =
                (0..<Int.random(in: 1...5, using: &random)).map { _ in
                    random.string(Int.random(in: 0...30, using: &random), from: "lorem ipsum,;:\"'")
                        + random.pick(forms)
                }.joined() + String(repeating: "z", count: Int.random(in: 0...200, using: &random))
            let scrubbed = Array(credentials.scrub(text).utf8)
            let windows = Set(scrubbed.indices.dropLast(15).map { scrubbed[$0..<($0 + 16)] })
            let tokenBytes = Array(token.utf8)
            let leaked = tokenBytes.indices.dropLast(15).first { windows.contains(tokenBytes[$0..<($0 + 16)]) }
            #expect(
                leaked == nil,
                "a 16-character piece of \(token) survived in \(String(decoding: scrubbed, as: UTF8.self))")
        }
    }
}

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

    @Test func aMisspeltFieldOrValueInATemplateGetsDidYouMean() throws {
        func problems(_ text: String) -> [String] {
            do {
                _ = try Template(name: "t.json", text: text)
                return []
            } catch let error as FleetError {
                return error.details
            } catch {
                return ["\(error)"]
            }
        }

        #expect(
            problems(#"{"default_codec": ["OPUS"]}"#).contains {
                $0.contains(#"unknown field "default_codec"; did you mean default_codecs?"#)
            })
        #expect(
            problems(#"{"default_codecs": ["g722"], "default_encryption": "Required"}"#) == [
                #"t.json: default_codecs[0] "g722" is not one of OPUS, G722, PCMU, PCMA, VP8, H264; did you mean G722?"#,
                #"t.json: default_encryption "Required" is not one of required, optional; did you mean required?"#,
            ])
    }
}

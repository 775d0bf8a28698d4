import FleetCore
import FleetModel
import FleetSimulator
import FleetStore
import FleetTestSupport
import Foundation
import Testing

@testable import fleet

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `fleet report`: the change record of a run, in Markdown and in one self-contained HTML file
/// whose figures are `fleet status --json`'s.
@Suite struct ChangeReportTests {
    /// The HTML as a parser reads it: every element with its attributes, and the text of each
    /// `td`/`th` by its place.
    final class Page: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        /// Per `tr` with a `data-space`: its cells' text by `data-field`.
        var spaceRows: [String: [String: String]] = [:]
        var counts: [String: String] = [:]
        var timeline: [String: (completions: Int, throttled: Int)] = [:]
        private var space: String?
        private var field: String?
        private var inCounts = false
        private var text = ""

        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            elements.append((name, attributes))
            if name == "table" { inCounts = attributes["id"] == "counts" }
            if name == "tr", let space = attributes["data-space"] { self.space = space }
            if name == "td" { (field, text) = (attributes["data-field"], "") }
            if name == "g", let space = attributes["data-space"] {
                timeline[space] = (
                    Int(attributes["data-completions"] ?? "") ?? -1, Int(attributes["data-throttled"] ?? "") ?? -1
                )
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "td", let field {
                if let space { spaceRows[space, default: [:]][field] = text } else if inCounts { counts[field] = text }
            }
            if name == "td" { field = nil }
            if name == "tr" { space = nil }
        }

        static func parse(_ html: String) throws -> Page {
            let page = Page()
            let parser = XMLParser(data: Data(html.utf8))
            parser.delegate = page
            guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
            return page
        }
    }

    @Test func theReportOfA3000ProjectRunHasTheFiguresOfStatusJSONAndNoTokenNorExternalReference() async throws {
        // Given 3,000 projects over 31 spaces, the 20 of "throttled" limited to 5 requests a second, 14 stale tokens
        var projects = TestProject.make(3000, spaces: 30)
        for index in stride(from: 2000, to: 2600, by: 30) { projects[index].space = "throttled" }
        var faults = SimulatorConfiguration()
        (faults.rateLimit, faults.rateLimitedSpaces) = (5, ["throttled"])
        faults.revoked = Set([1, 2, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987].map { projects[$0].projectID })
        let setup = try Workspace(projects, simulator: faults)
        let rollout = await setup.fleet.run(
            ["rollout", setup.template, "--concurrency", "64", "--rate", "100000", "--change", "CHG-2291"]
                + setup.apply)
        let out = setup.fixture.directory.file("CHG-2291.html")

        let html = await setup.fleet.run(["report", "--format", "html", "--out", out, "--db", setup.db])
        let markdown = await setup.fleet.run(["report", "1", "--db", setup.db])
        let status = await setup.fleet.run(["status", "1", "--json", "--db", setup.db])

        #expect(rollout.status == 1, "\(rollout.output)")
        #expect(html.stdout == "wrote the change record of run 1 to \(out) (html).\n")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.utf8.count < 1_000_000, "\(text.utf8.count) bytes")
        let page = try Page.parse(text)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        let counts = try #require(body["counts"] as? [String: Int])
        #expect(page.counts.mapValues { Int($0) } == counts.mapValues { Optional($0) })
        let spaces = try #require(body["spaces"] as? [[String: Any]])
        let outcomes = try #require(body["projects"] as? [[String: Any]])
        #expect(page.spaceRows.count == 31)
        for space in spaces {
            let name = try #require(space["space"] as? String)
            let row = try #require(page.spaceRows[name], "\(name)")
            let mine = outcomes.filter { $0["space"] as? String == name }
            #expect(row["projects"] == "\(mine.count)")
            #expect(row["succeeded"] == "\(mine.count { $0["status"] as? String == "succeeded" })")
            #expect(row["failed"] == "\(mine.count { $0["status"] as? String == "failed" })")
            #expect(row["throttled"] == "\(space["throttled"] as? Int ?? -1)")
            #expect(page.timeline[name]?.throttled == space["throttled"] as? Int)
        }
        #expect((spaces.first { $0["space"] as? String == "throttled" }?["throttled"] as? Int ?? 0) > 0)
        #expect(page.timeline.values.reduce(0) { $0 + $1.completions } == 3000)
        // Self-contained: no script, no reference to anything outside the file
        #expect(!page.elements.contains { ["script", "link", "img", "iframe", "object"].contains($0.name) })
        #expect(!page.elements.contains { $0.attributes.keys.contains { ["href", "src", "srcset"].contains($0) } })
        #expect(!text.contains("url("), "no CSS reference either")
        #expect(page.elements.contains { $0.name == "svg" })
        for report in [text, markdown.stdout] {
            #expect(projects.allSatisfy { !report.contains($0.token) && !report.contains(String($0.token.suffix(12))) })
            #expect(report.contains("CHG-2291"))
        }
        #expect(markdown.stdout.contains("\n## Per space\n"))
        #expect(markdown.stdout.contains("\n- **unauthorized**: HTTP 401: the project's token was refused"))
        #expect(markdown.stdout.contains("(14 projects: "))
    }

    @Test func aReportNamesTheHoldsTheWavesAndTheRollbackEitherWay() async throws {
        let projects = TestProject.make(4, spaces: 2)
        let setup = try Workspace(projects)
        #expect(
            await setup.fleet.run(["hold", "Project 1", "default_codecs", "--reason", "PBX | PCMU", "--db", setup.db])
                .status == 0)
        #expect(await setup.fleet.run(["rollout", setup.template, "--waves", "2,100%"] + setup.apply).status == 0)
        #expect(await setup.fleet.run(["rollback", "1"] + setup.apply).status == 0)

        let first = await setup.fleet.run(["report", "1", "--db", setup.db])
        let second = await setup.fleet.run(["report", "--format", "html", "--db", setup.db])

        #expect(first.stdout.contains("| Rollback | rolled back by run 2 |"))
        #expect(first.stdout.contains("| space1 | \(projects[1].projectID) | default_codecs | PBX \\| PCMU |"))
        #expect(first.stdout.contains("\n## Waves and gates\n"))
        #expect(first.stdout.contains("- default_encryption: optional → required: 4 projects (space0 2, space1 2)"))
        let page = try Page.parse(second.stdout)
        #expect(page.counts["succeeded"] == "4")
        #expect(second.stdout.contains("<td>this run rolls back run 1</td>"))
    }
}

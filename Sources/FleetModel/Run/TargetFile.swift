import Foundation

/// A file of projects for `--projects-from`: one UUID, `SPACE/UUID` or unique label a line;
/// blank lines and lines starting with `#` are skipped; `-` reads stdin.
package struct TargetFile: Sendable {
    package struct Line: Sendable, Equatable {
        package var number: Int
        package var name: String
    }

    package var path: String
    package var lines: [Line]

    package init(path: String, text: String) {
        self.path = path
        var lines: [Line] = []
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var name = raw.trimmingCharacters(in: .whitespaces)
            if index == 0, name.hasPrefix("\u{FEFF}") { name.removeFirst() }
            if name.isEmpty || name.hasPrefix("#") { continue }
            lines.append(Line(number: index + 1, name: name))
        }
        self.lines = lines
    }

    package static func load(_ path: String) throws -> TargetFile {
        let bytes = try InputFile.bytes(path, what: "the project list \(path)")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FleetError("the project list \(path) is not UTF-8 text; save it as UTF-8.")
        }
        let file = TargetFile(path: path, text: text)
        if file.lines.isEmpty { throw FleetError("the project list \(path) names no project.") }
        return file
    }
}

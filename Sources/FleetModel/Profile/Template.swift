import Crypto
import Foundation

/// A SIP-profile template: a JSON object with any of the five writable fields, whose strings may
/// hold `{{name}}` placeholders filled from a project's space, project_id, label or CSV columns.
package struct Template: Sendable {
    /// Where it came from, for messages and the run record.
    package var name: String
    package var text: String
    package var sha256: String
    private var body: [String: JSONValue]
    /// Without placeholders every project gets the same fields, rendered once.
    private var hasPlaceholders: Bool

    /// Parses and checks everything that does not depend on a project: JSON syntax (a key given
    /// twice included), unknown keys, types, enum and E.164 values of strings without
    /// placeholders, and placeholder syntax.
    package init(name: String, text: String) throws {
        self.name = name
        self.text = text
        sha256 = SHA256.hash(data: Data(text.utf8)).hex
        let value: JSONValue
        do {
            value = try JSONParser.parse(Data(text.utf8))
        } catch {
            throw FleetError(
                "\(name):\(error.line): \(error.message); a template is a JSON object such as {\"default_encryption\": \"required\"}."
            )
        }
        guard case .object(let object) = value else {
            throw FleetError("\(name) must hold a JSON object of SIP-profile fields, not \(value.typeName).")
        }
        var problems = ProfileValidator.issues(in: value, skipping: { $0.contains("{{") }).map(\.text)
        for text in Self.strings(in: value) {
            if let problem = Placeholders.names(in: text).problem { problems.append(problem) }
        }
        if object.isEmpty { problems.append("the template sets no field; give at least one of \(ProfileField.keys)") }
        if !problems.isEmpty {
            throw FleetError(
                "\(name) is not a valid template; fix it and try again.",
                details: problems.map { "\(name): \($0.escapingControlCharacters)" })
        }
        body = object
        hasPlaceholders = Self.strings(in: value).contains { $0.contains("{{") }
    }

    package static func load(path: String) throws -> Template {
        let bytes = try InputFile.bytes(path, what: "the template \(path)")
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FleetError("the template \(path) is not UTF-8 text.")
        }
        return try Template(name: path, text: text)
    }

    /// The placeholder names the template uses.
    package var placeholderNames: Set<String> {
        Set(Self.strings(in: .object(body)).flatMap { Placeholders.names(in: $0).names })
    }

    /// The fields this template sets for `project`, or every reason it cannot (a missing variable,
    /// a filled-in value the API would reject).
    package func render(for project: Project) -> Result<ProfilePatch, RenderError> {
        var values = project.variables
        values["space"] = project.space
        values["project_id"] = project.projectID
        values["label"] = project.label
        var missing: Set<String> = []
        func fill(_ value: JSONValue) -> JSONValue {
            switch value {
            case .string(let text) where text.contains("{{"):
                return .string(Placeholders.fill(text, with: values, missing: &missing))
            case .array(let items):
                return .array(items.map(fill))
            default:
                return value
            }
        }
        let rendered = JSONValue.object(body.mapValues(fill))
        var problems = missing.sorted().map { RenderError.Problem.missing(placeholder: $0) }
        if missing.isEmpty {
            problems += ProfileValidator.issues(in: rendered).map {
                .invalid("after filling placeholders, \($0.detail)")
            }
        }
        guard problems.isEmpty, case .object(let object) = rendered else {
            return .failure(RenderError(project: project, problems: problems))
        }
        return .success(ProfilePatch(object))
    }

    /// The fields of a template without placeholders, the same for every project (checked whole
    /// when it was parsed); nil for one with placeholders.
    package var fixedPatch: ProfilePatch? {
        guard !hasPlaceholders else { return nil }
        let anyone = Project(
            id: 0, space: "", projectID: "", storedToken: "", label: "", tags: [], variables: [:], enabled: true)
        return try? render(for: anyone).get()
    }

    /// Renders for every project, or throws one error with every problem once, with how many
    /// projects it affects and a few of them, so the report stays short at 10,000 projects.
    package func renderAll(_ projects: [Project]) throws -> [ProfilePatch] {
        if let fixedPatch { return Array(repeating: fixedPatch, count: projects.count) }
        var check = RenderCheck(self)
        let patches = projects.compactMap { check.render($0) }
        try check.finish()
        return patches
    }

    private static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): [text]
        case .array(let items): items.flatMap(strings)
        case .object(let object): object.keys.sorted().flatMap { strings(in: object[$0]!) }
        default: []
        }
    }
}

/// `{{name}}` parsing and filling; spaces inside the braces are allowed (`{{ name }}`).
enum Placeholders {
    static func names(in text: String) -> (names: [String], problem: String?) {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                return (names, "\"\(text)\" has a {{ without a closing }}")
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard Template.isVariableName(name) else {
                return (names, "\"\(text)\" has a placeholder {{\(name)}} that is not a name (letters, digits and _)")
            }
            names.append(name)
            rest = rest[close.upperBound...]
        }
        return (names, nil)
    }

    static func fill(_ text: String, with values: [String: String], missing: inout Set<String>) -> String {
        var output = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
            output += rest[..<open.lowerBound]
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let value = values[name] { output += value } else { missing.insert(name) }
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}

extension Template {
    /// A template variable's name (and so an inventory column's): letters, digits and _, not starting with a digit.
    package static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)))
        }
    }
}

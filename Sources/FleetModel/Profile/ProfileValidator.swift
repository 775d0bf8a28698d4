/// The rules of `UpdateSipProfileRequest` in the OpenAPI file, shared by template checks and the
/// simulator so both reject exactly what the API rejects.
package enum ProfileValidator {
    package struct Issue: Sendable, Equatable {
        /// The field, with an index for list items: `default_codecs[1]`.
        package var field: String
        /// As the API says it.
        package var detail: String
        /// For a misspelt field or value, what fleet says instead: with "did you mean" (the API
        /// does not say it, so the simulator does not either).
        package var suggested: String?

        init(field: String, detail: String, suggested: String? = nil) {
            self.field = field
            self.detail = detail
            self.suggested = suggested
        }

        /// What fleet shows: the detail, with "did you mean" where one is close.
        package var text: String { suggested ?? detail }
    }

    /// Every problem with a request body. With `skipping` true for a string, that string's value
    /// is not checked against enums and E.164 (a template string that still holds a placeholder).
    package static func issues(in body: JSONValue, skipping: (String) -> Bool = { _ in false }) -> [Issue] {
        guard case .object(let object) = body else {
            return [Issue(field: "body", detail: "the body must be a JSON object, not \(body.typeName)")]
        }
        var issues: [Issue] = []
        for key in object.keys.sorted() where ProfileField(rawValue: key) == nil {
            let hint = key == "domain" ? " (domain is read-only)" : ""
            let close = Suggestion.closest(to: key, in: ProfileField.allCases.map(\.key))
            issues.append(
                Issue(
                    field: key, detail: "unknown field \"\(key)\"\(hint); allowed fields are \(ProfileField.keys)",
                    suggested: close.map { "unknown field \"\(key)\"; did you mean \($0)?" }))
        }
        for field in ProfileField.allCases {
            guard let value = object[field.key] else { continue }
            issues +=
                field.isList
                ? listIssues(field, value, skipping: skipping) : textIssues(field, value, skipping: skipping)
        }
        return issues
    }

    /// A string field: one of `allowed` if it has them; `default_send_as` also null, "" or E.164.
    private static func textIssues(_ field: ProfileField, _ value: JSONValue, skipping: (String) -> Bool) -> [Issue] {
        let name = field.key
        guard case .string(let text) = value else {
            if value == .null && field.nullMeansEmpty { return [] }
            let shape = field.nullMeansEmpty ? "a string or null" : "a string"
            return [Issue(field: name, detail: "\(name) must be \(shape), not \(value.typeName)")]
        }
        if skipping(text) { return [] }
        if let allowed = field.allowed, !allowed.contains(text) { return [notOneOf(name, text, allowed)] }
        if field == .defaultSendAs && !text.isEmpty && !isE164(text) {
            return [
                Issue(
                    field: name,
                    detail:
                        "\(name) \"\(text)\" is not an E.164 number (+ then 2 to 15 digits, the first not 0), null or \"\""
                )
            ]
        }
        return []
    }

    private static func listIssues(_ field: ProfileField, _ value: JSONValue, skipping: (String) -> Bool) -> [Issue] {
        guard case .array(let items) = value else {
            return [Issue(field: field.key, detail: "\(field.key) must be an array of strings, not \(value.typeName)")]
        }
        let allowed = field.allowed ?? []
        var issues: [Issue] = []
        for (position, item) in items.enumerated() {
            let path = "\(field.key)[\(position)]"
            guard case .string(let text) = item else {
                issues.append(Issue(field: path, detail: "\(path) must be a string, not \(item.typeName)"))
                continue
            }
            if !skipping(text) && !allowed.contains(text) { issues.append(notOneOf(path, text, allowed)) }
        }
        return issues
    }

    /// A value not allowed; "did you mean" only for another case ("g722") or a typo in a long
    /// name (a cipher): a short one close to another (G729, G722) is another codec, not a typo.
    private static func notOneOf(_ path: String, _ text: String, _ allowed: [String]) -> Issue {
        let detail = "\(path) \"\(text)\" is not one of \(allowed.joined(separator: ", "))"
        let close = Suggestion.closest(to: text, in: allowed, maximum: text.count >= 10 ? 2 : 0)
        return Issue(field: path, detail: detail, suggested: close.map { "\(detail); did you mean \($0)?" })
    }

    /// `+` then 2 to 15 digits, the first not 0.
    package static func isE164(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"), bytes[1] != UInt8(ascii: "0") else {
            return false
        }
        return bytes.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}

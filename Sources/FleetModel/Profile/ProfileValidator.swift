/// The rules of `UpdateSipProfileRequest` in the OpenAPI file, shared by template checks and the
/// simulator so both reject exactly what the API rejects.
package enum ProfileValidator {
    package static let codecs = ["OPUS", "G722", "PCMU", "PCMA", "VP8", "H264"]
    package static let ciphers = [
        "AEAD_AES_256_GCM_8", "AES_256_CM_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_80",
        "AES_256_CM_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_32",
    ]
    package static let encryptions = ["required", "optional"]
    package static let writableFields = ["domain_identifier", "default_codecs", "default_ciphers", "default_encryption", "default_send_as"]

    package struct Issue: Sendable, Equatable {
        /// The field, with an index for list items: `default_codecs[1]`.
        package var field: String
        package var detail: String
    }

    /// Every problem with a request body. With `skipping` true for a string, that string's value
    /// is not checked against enums and E.164 (a template string that still holds a placeholder).
    package static func issues(in body: JSONValue, skipping: (String) -> Bool = { _ in false }) -> [Issue] {
        guard case .object(let object) = body else {
            return [Issue(field: "body", detail: "the body must be a JSON object, not \(body.typeName)")]
        }
        var issues: [Issue] = []
        for key in object.keys.sorted() where !writableFields.contains(key) {
            let hint = key == "domain" ? " (domain is read-only)" : ""
            issues.append(Issue(field: key, detail: "unknown field \"\(key)\"\(hint); allowed fields are \(writableFields.joined(separator: ", "))"))
        }
        for field in writableFields {
            guard let value = object[field] else { continue }
            switch field {
            case "domain_identifier":
                if case .string = value { break }
                issues.append(Issue(field: field, detail: "\(field) must be a string, not \(value.typeName)"))
            case "default_codecs":
                issues += listIssues(field, value, allowed: codecs, skipping: skipping)
            case "default_ciphers":
                issues += listIssues(field, value, allowed: ciphers, skipping: skipping)
            case "default_encryption":
                guard case .string(let text) = value else {
                    issues.append(Issue(field: field, detail: "\(field) must be a string, not \(value.typeName)"))
                    break
                }
                if !skipping(text) && !encryptions.contains(text) {
                    issues.append(Issue(field: field, detail: "\(field) \"\(text)\" is not one of \(encryptions.joined(separator: ", "))"))
                }
            default:
                switch value {
                case .null: break
                case .string(let text):
                    if !skipping(text) && !text.isEmpty && !isE164(text) {
                        issues.append(Issue(field: field, detail: "\(field) \"\(text)\" is not an E.164 number (+ then 2 to 15 digits, the first not 0), null or \"\""))
                    }
                default:
                    issues.append(Issue(field: field, detail: "\(field) must be a string or null, not \(value.typeName)"))
                }
            }
        }
        return issues
    }

    private static func listIssues(_ field: String, _ value: JSONValue, allowed: [String], skipping: (String) -> Bool) -> [Issue] {
        guard case .array(let items) = value else {
            return [Issue(field: field, detail: "\(field) must be an array of strings, not \(value.typeName)")]
        }
        var issues: [Issue] = []
        for (position, item) in items.enumerated() {
            let path = "\(field)[\(position)]"
            guard case .string(let text) = item else {
                issues.append(Issue(field: path, detail: "\(path) must be a string, not \(item.typeName)"))
                continue
            }
            if !skipping(text) && !allowed.contains(text) {
                issues.append(Issue(field: path, detail: "\(path) \"\(text)\" is not one of \(allowed.joined(separator: ", "))"))
            }
        }
        return issues
    }

    /// `+` then 2 to 15 digits, the first not 0.
    package static func isE164(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes.count <= 16, bytes[0] == UInt8(ascii: "+"), bytes[1] != UInt8(ascii: "0") else { return false }
        return bytes.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// A validated body as the profile fields it sets.
    package static func patch(from object: [String: JSONValue]) -> ProfilePatch {
        var patch = ProfilePatch()
        patch.domainIdentifier = object["domain_identifier"]?.string
        patch.defaultCodecs = object["default_codecs"]?.strings
        patch.defaultCiphers = object["default_ciphers"]?.strings
        patch.defaultEncryption = object["default_encryption"]?.string
        if let sendAs = object["default_send_as"] { patch.defaultSendAs = .some(sendAs.string) }
        return patch
    }
}

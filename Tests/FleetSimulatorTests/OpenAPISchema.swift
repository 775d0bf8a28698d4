import FleetTestSupport
import Foundation
import Yams

/// The OpenAPI file of the SIP-profile API, and a checker for the parts of JSON Schema it uses
/// (type, enum, required, properties, items, $ref), so tests can hold every simulator answer to it.
struct OpenAPISchema: @unchecked Sendable {
    let document: [String: Any]

    init() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/api/sip_profile.openapi.yaml", encoding: .utf8)
        document = try Yams.load(yaml: text) as? [String: Any] ?? [:]
    }

    /// The schema of `method`'s answer with `status`, or nil when the API does not document it.
    func responseSchema(method: String, status: Int) -> [String: Any]? {
        let paths = document["paths"] as? [String: Any]
        let operation = (paths?["/sip_profile"] as? [String: Any])?[method.lowercased()] as? [String: Any]
        let responses = operation?["responses"] as? [String: Any]
        let response = responses?[String(status)] as? [String: Any]
        let content = (response?["content"] as? [String: Any])?["application/json"] as? [String: Any]
        return content?["schema"] as? [String: Any]
    }

    /// Every way `body` breaks the schema of `method`'s answer with `status` ("undocumented" if none).
    func problems(method: String, status: Int, body: Data) -> [String] {
        guard let schema = responseSchema(method: method, status: status) else {
            return ["\(method) \(status) is not documented"]
        }
        guard let value = try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) else {
            return ["the body is not JSON"]
        }
        return problems(value, schema, path: "$")
    }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let reference = schema["$ref"] as? String else { return schema }
        var node: Any = document
        for part in reference.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part)] ?? [:]
        }
        return resolve(node as? [String: Any] ?? [:])
    }

    private func problems(_ value: Any, _ raw: [String: Any], path: String) -> [String] {
        let schema = resolve(raw)
        var found: [String] = []
        let types: [String] = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty && !types.contains(where: { Self.matches(value, type: $0) }) {
            return ["\(path): \(value) is not \(types.joined(separator: " or "))"]
        }
        if let allowed = schema["enum"] as? [Any] {
            let text = value as? String
            if text == nil || !allowed.contains(where: { ($0 as? String) == text }) {
                found.append("\(path): \(value) is not one of \(allowed)")
            }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): required \(key) is missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                if let childSchema = properties[key] as? [String: Any] {
                    found += problems(child, childSchema, path: "\(path).\(key)")
                } else if !properties.isEmpty {
                    found.append("\(path): \(key) is not in the schema")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += problems(item, items, path: "\(path)[\(index)]") }
        }
        return found
    }

    private static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "array": return value is [Any]
        case "object": return value is [String: Any]
        case "boolean", "number", "integer": return value is NSNumber
        default: return true
        }
    }
}

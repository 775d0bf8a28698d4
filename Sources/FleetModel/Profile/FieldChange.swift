import Foundation

/// One field a write would change, with its values as JSON.
package struct FieldChange: Sendable, Equatable, Hashable, Codable {
    package var field: ProfileField
    package var old: JSONValue
    package var new: JSONValue

    package init(field: ProfileField, old: JSONValue, new: JSONValue) {
        self.field = field
        self.old = old
        self.new = new
    }

    /// `default_codecs: [PCMU, PCMA] → [OPUS, G722, PCMU]`
    package var text: String { "\(field.key): \(old.shortText) → \(new.shortText)" }
}

import Foundation

/// An optional that JSON shows as `null` when absent, as the report schemas require (synthesized
/// `Encodable` would leave the key out).
@propertyWrapper
package struct NullEncoded<Value: Encodable & Sendable>: Encodable, Sendable {
    package var wrappedValue: Value?

    package init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

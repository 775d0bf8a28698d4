import FleetModel
import GRDB

/// A row of fleet's schema decoded as a Codable record: its columns are snake_case and its
/// properties Swift's camelCase (`SnakeCase`), so no record spells its columns twice; a column
/// holding JSON (a run's selection and options) decodes into its Codable property.
package protocol FleetRecord: Codable, FetchableRecord, TableRecord, Sendable {}

extension FleetRecord {
    package static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in ColumnKey(stringValue: SnakeCase.camel(column)) }
    }
}

/// A column name as a coding key.
private struct ColumnKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

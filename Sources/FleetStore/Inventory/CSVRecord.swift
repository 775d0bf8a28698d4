import FleetModel

/// One record of a CSV file and the physical line it starts on (1-based, the header is line 1).
package struct CSVRecord: Sendable, Equatable {
    package var fields: [String]
    package var line: Int

    package init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

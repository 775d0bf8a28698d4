import FleetModel
import Foundation
import GRDB

// The states are stored as their names.
extension TaskState: DatabaseValueConvertible {}
extension RunState: DatabaseValueConvertible {}
extension RunKind: DatabaseValueConvertible {}

extension ErrorKind: DatabaseValueConvertible {
    package var databaseValue: DatabaseValue { rawValue.databaseValue }

    package static func fromDatabaseValue(_ dbValue: DatabaseValue) -> ErrorKind? {
        String.fromDatabaseValue(dbValue).flatMap(ErrorKind.init(rawValue:))
    }
}

import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

@Suite struct TimestampTests {
    @Test func timestampsAreISO8601UTCWithMillisecondsAndParseBack() {
        let date = Date(timeIntervalSince1970: 1_796_013_250.123_4)
        #expect(FleetDatabase.timestamp(date) == "2026-11-30T04:34:10.123Z")
        #expect(FleetDatabase.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        let parsed = FleetDatabase.date(from: "2026-11-30T04:34:10.123Z")?.timeIntervalSince1970 ?? 0
        #expect(abs(parsed - 1_796_013_250.123) < 0.000_5)
    }
}

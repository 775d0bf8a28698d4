import FleetTestSupport
import Foundation
import Testing

@testable import FleetCore
@testable import FleetEngine
@testable import FleetModel
@testable import FleetStore

/// How long a failed request waits before its next attempt, and which failures are retried.
@Suite struct RetryPolicyTests {
    @Test func backoffGrowsToItsCapAndRetryAfterWins() {
        let policy = RetryPolicy(maxAttempts: 10)
        let server = RequestFailure(kind: .server, message: "")
        #expect(policy.delay(after: server, attempt: 1, unit: 1) == .milliseconds(250))
        #expect(policy.delay(after: server, attempt: 4, unit: 1) == .seconds(2))
        #expect(policy.delay(after: server, attempt: 9, unit: 1) == .seconds(30))
        #expect(policy.delay(after: server, attempt: 4, unit: 0) == .zero)
        #expect(policy.delay(after: server, attempt: 10, unit: 1) == nil)
        #expect(
            policy.delay(
                after: RequestFailure(kind: .rateLimited, message: "", retryAfter: .seconds(7)), attempt: 1, unit: 0.1)
                == .seconds(7))
        #expect(policy.delay(after: RequestFailure(kind: .unauthorized, message: ""), attempt: 1, unit: 1) == nil)
        #expect(policy.delay(after: RequestFailure(kind: .validation, message: ""), attempt: 1, unit: 1) == nil)
    }
}

import FleetCore
import FleetEngine
import FleetModel
import FleetStore
import Foundation
import Testing

/// The executor's pure step, `(phase, answer) → (record, next)`, for every pair.
@Suite struct TaskStepTests {
    static let current = SipProfile(
        domain: "acme-p1.sip.signalwire.com", domainIdentifier: "p1", defaultCodecs: ["PCMU"],
        defaultCiphers: ["AES_CM_128_HMAC_SHA1_80"], defaultEncryption: "optional", defaultSendAs: nil)
    static let patch = ProfilePatch(defaultCodecs: ["OPUS"], defaultEncryption: "required")
    static let desired = patch.applied(to: current)
    static let allFields = Set(ProfileField.allCases)

    static func answer(_ profile: SipProfile, status: Int = 200, fields: Set<ProfileField> = allFields) -> Result<
        SignalWireAPI.Answer, RequestFailure
    > {
        .success(SignalWireAPI.Answer(status: status, profile: profile, json: profile.jsonString(), fields: fields))
    }

    static func context(
        mode: StepContext.Mode = .apply, force: Bool = false, expected: ExpectedProfile? = nil, maxAttempts: Int = 5
    ) -> StepContext {
        StepContext(
            mode: mode, force: force, patch: patch, expected: expected, policy: RetryPolicy(maxAttempts: maxAttempts),
            taskID: 7,
            startedAt: Date(timeIntervalSince1970: 0), duration: .milliseconds(20), jitter: 0.5)
    }

    static func read(attempt: Int = 0, requests: Int = 0, hasBefore: Bool = false) -> TaskCursor {
        TaskCursor(index: 3, phase: .read, attempt: attempt, requests: requests, hasBefore: hasBefore)
    }

    static let write = TaskCursor(index: 3, phase: .write(desired), attempt: 0, requests: 1, hasBefore: true)

    @Test func readThenChangedGoesOnToTheWriteAfterRecordingTheBefore() {
        let output = TaskStep.step(Self.read(), answer: Self.answer(Self.current), context: Self.context())

        #expect(
            output.next
                == .send(TaskCursor(index: 3, phase: .write(Self.desired), attempt: 0, requests: 1, hasBefore: true)))
        #expect(output.record?.before == Self.current.jsonString())
        #expect(output.record?.state == .running)
        #expect(output.record?.attempt?.httpStatus == 200)
        #expect(output.record?.attempt?.method == "GET")
        #expect(output.record?.attempt?.number == 1)
    }

    @Test func readThenEqualIsUnchangedWithoutAWriteUnlessForced() {
        let equal = Self.answer(Self.desired)

        #expect(TaskStep.step(Self.read(), answer: equal, context: Self.context()).next == .finish(.unchanged))
        #expect(TaskStep.step(Self.read(), answer: equal, context: Self.context()).record?.state == .unchanged)
        if case .send = TaskStep.step(Self.read(), answer: equal, context: Self.context(force: true)).next {
        } else {
            Issue.record("--force must write")
        }
    }

    @Test func readThenEqualAfterAnEarlierWriteLandedIsSucceededAndKeepsTheFirstBefore() {
        let output = TaskStep.step(
            Self.read(requests: 4, hasBefore: true), answer: Self.answer(Self.desired), context: Self.context())

        #expect(output.next == .finish(.succeeded))
        #expect(output.record?.before == nil)
        #expect(output.record?.after == Self.desired.jsonString(), "the read that confirmed the write is its after")
        #expect(output.record?.attempt?.number == 5)
    }

    @Test(arguments: [ErrorKind.timeout, .network])
    func aWriteWithoutAnAnswerIsFollowedByARead(kind: ErrorKind) {
        let failure = RequestFailure(kind: kind, message: "the connection was reset")

        let output = TaskStep.step(Self.write, answer: .failure(failure), context: Self.context())

        #expect(
            output.next
                == .retry(
                    TaskCursor(index: 3, phase: .read, attempt: 1, requests: 2, hasBefore: true, confirming: true),
                    after: .milliseconds(125)))
        #expect(output.record?.state == .running)
    }

    @Test func aConfirmingReadThatFindsTheWriteUndoneWritesAgainOnTheSameAttemptBudget() {
        let cursor = TaskCursor(index: 3, phase: .read, attempt: 2, requests: 4, hasBefore: true, confirming: true)

        let output = TaskStep.step(cursor, answer: Self.answer(Self.current), context: Self.context())

        #expect(
            output.next
                == .send(TaskCursor(index: 3, phase: .write(Self.desired), attempt: 3, requests: 5, hasBefore: true)))
    }

    @Test func aWriteAnsweredWithAServerErrorIsSentAgainWithoutARead() {
        let failure = RequestFailure(kind: .server, httpStatus: 500, message: "HTTP 500: server error")

        guard
            case .retry(let cursor, _) = TaskStep.step(Self.write, answer: .failure(failure), context: Self.context())
                .next
        else {
            Issue.record("expected a retry")
            return
        }
        #expect(cursor.phase == .write(Self.desired))
    }

    @Test func aRetriedWriteKeepsTheFirstBefore() {
        let output = TaskStep.step(
            Self.read(requests: 2, hasBefore: true), answer: Self.answer(Self.current), context: Self.context())

        #expect(output.record?.before == nil)
        if case .send = output.next {} else { Issue.record("expected the write") }
    }

    @Test func readLackingAFieldTheTemplateSetsIsProtocolAndWritesNothing() {
        let output = TaskStep.step(
            Self.read(), answer: Self.answer(Self.current, fields: [.domainIdentifier, .defaultEncryption]),
            context: Self.context())

        guard case .finish(.failed(let failure)) = output.next else {
            Issue.record("expected a failure")
            return
        }
        #expect(failure.kind == .protocol)
        #expect(
            failure.message
                == "the profile the API answered has no default_codecs; fleet could not restore it later, so it wrote nothing"
        )
        #expect(output.record?.before == nil)
        #expect(output.record?.errorKind == .protocol)
    }

    @Test func anAbsentSendAsReadsAsNull() {
        let patch = ProfilePatch(defaultSendAs: .some("+15550001111"))
        var context = Self.context()
        context.patch = patch
        let output = TaskStep.step(
            Self.read(), answer: Self.answer(Self.current, fields: Self.allFields.subtracting([.defaultSendAs])),
            context: context)

        if case .send = output.next {} else { Issue.record("a missing default_send_as is null, not missing") }
    }

    @Test func readWithASavedPlanThatNoLongerMatchesIsAConflict() {
        var planned = Self.current
        planned.defaultCodecs = ["PCMA"]
        let output = TaskStep.step(
            Self.read(), answer: Self.answer(Self.current),
            context: Self.context(expected: ExpectedProfile(planned, since: .plan)))

        #expect(
            output.next
                == .finish(
                    .failed(
                        RequestFailure(
                            kind: .conflict, httpStatus: 200,
                            message: "changed since the plan: default_codecs: [PCMA] → [PCMU]"))))
        #expect(output.record?.before == nil)
    }

    @Test func aSavedPlanAppliedAgainToAProjectThatHoldsItsBodyIsUnchanged() {
        let output = TaskStep.step(
            Self.read(), answer: Self.answer(Self.desired),
            context: Self.context(expected: ExpectedProfile(Self.current, since: .plan)))

        #expect(output.next == .finish(.unchanged))
    }

    @Test func aRollbackOfAProjectChangedSinceTheRunIsAConflictNamingTheFieldAndWritesNothing() {
        // The rollback puts `current` back over what run 3 wrote (`desired`); someone set PCMA since.
        var edited = Self.desired
        edited.defaultCodecs = ["PCMA"]
        var context = Self.context(expected: ExpectedProfile(Self.desired, since: .run(3)))
        context.patch = ProfilePatch(exactly: Self.current)
        let output = TaskStep.step(Self.read(), answer: Self.answer(edited), context: context)

        #expect(
            output.next
                == .finish(
                    .failed(
                        RequestFailure(
                            kind: .conflict, httpStatus: 200,
                            message: "changed since run 3: default_codecs: written [OPUS], now [PCMA]"))))
        #expect(output.record?.before == nil)
        #expect(output.record?.errorKind == .conflict)
    }

    @Test func aRollbackOfAProjectStillAsTheRunLeftItWritesTheBefore() {
        var context = Self.context(expected: ExpectedProfile(Self.desired, since: .run(3)))
        context.patch = ProfilePatch(exactly: Self.current)
        let output = TaskStep.step(Self.read(), answer: Self.answer(Self.desired), context: context)

        #expect(
            output.next
                == .send(
                    TaskCursor(index: 3, phase: .write(Self.current.writable), attempt: 0, requests: 1, hasBefore: true)
                ))
    }

    @Test func readInPlanModeRecordsNothingAndSaysWhatWouldBeWritten() {
        let output = TaskStep.step(Self.read(), answer: Self.answer(Self.current), context: Self.context(mode: .plan))

        #expect(output.next == .finish(.planned(current: Self.current, desired: Self.desired)))
        #expect(output.record == nil)
    }

    @Test func writeAnsweredWithTheDesiredProfileSucceedsAndKeepsTheAfter() {
        var answered = Self.desired
        answered.domain = "acme-p1.sip.signalwire.com"
        let output = TaskStep.step(Self.write, answer: Self.answer(answered, status: 201), context: Self.context())

        #expect(output.next == .finish(.succeeded))
        #expect(output.record?.after == answered.jsonString())
        #expect(output.record?.state == .succeeded)
        #expect(output.record?.httpStatus == 201)
        #expect(output.record?.attempt?.method == "PUT")
    }

    @Test func writeAnsweredWithAnotherProfileIsProtocol() {
        let output = TaskStep.step(Self.write, answer: Self.answer(Self.current, status: 201), context: Self.context())

        guard case .finish(.failed(let failure)) = output.next else {
            Issue.record("expected a failure")
            return
        }
        #expect(
            failure
                == RequestFailure(
                    kind: .protocol, httpStatus: 201,
                    message:
                        "the API answered the PUT with a different profile: default_codecs is [PCMU], not [OPUS]; default_encryption is optional, not required"
                ))
    }

    @Test(arguments: [RequestPhase.read, .write(desired)])
    func aTransientFailureWithAttemptsLeftIsRetriedAfterTheBackoff(phase: RequestPhase) {
        let cursor = TaskCursor(index: 3, phase: phase, attempt: 1, requests: 3, hasBefore: true)
        let failure = RequestFailure(kind: .server, httpStatus: 503, message: "HTTP 503: server error")

        let output = TaskStep.step(cursor, answer: .failure(failure), context: Self.context())

        var expected = cursor
        (expected.attempt, expected.requests) = (2, 4)
        #expect(output.next == .retry(expected, after: .milliseconds(250)), "half of 0.25 s × 2")
        #expect(output.record?.state == .running)
        #expect(output.record?.errorKind == .server)
        #expect(output.record?.httpStatus == 503)
    }

    @Test func retryAfterWinsOverTheBackoff() {
        let failure = RequestFailure(
            kind: .rateLimited, httpStatus: 429, message: "HTTP 429: rate limit exceeded", retryAfter: .seconds(7))

        #expect(
            TaskStep.step(Self.read(), answer: .failure(failure), context: Self.context()).next
                == .retry(
                    TaskCursor(index: 3, phase: .read, attempt: 1, requests: 1, hasBefore: false), after: .seconds(7)))
    }

    @Test func aTransientFailureOnTheLastAttemptFails() {
        let failure = RequestFailure(kind: .timeout, message: "no whole answer")

        let output = TaskStep.step(
            Self.read(attempt: 4, requests: 4), answer: .failure(failure), context: Self.context())

        #expect(output.next == .finish(.failed(failure)))
        #expect(output.record?.state == .failed)
        #expect(output.record?.httpStatus == nil)
        #expect(output.record?.attempt?.httpStatus == nil)
    }

    @Test(arguments: [ErrorKind.unauthorized, .validation, .protocol, .tls])
    func aFailureThatRetryingCannotMendFailsAtOnce(kind: ErrorKind) {
        let failure = RequestFailure(kind: kind, httpStatus: kind == .tls ? nil : 401, message: "no")

        let output = TaskStep.step(Self.write, answer: .failure(failure), context: Self.context())

        #expect(output.next == .finish(.failed(failure)))
        #expect(output.record?.errorKind == kind)
    }
}

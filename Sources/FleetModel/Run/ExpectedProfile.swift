import Foundation

/// What a project must hold for a write to go ahead: the profile a saved plan read, or the one
/// the run a rollback undoes wrote. Anything else is someone else's later change, not written over.
package struct ExpectedProfile: Sendable, Equatable {
    package enum Source: Sendable, Equatable {
        case plan
        case run(Int64)
    }

    package var profile: SipProfile
    package var since: Source

    package init(_ profile: SipProfile, since: Source) {
        self.profile = profile
        self.since = since
    }

    /// `changed since run 3: default_codecs: written [OPUS], now [PCMA]`, or for a plan
    /// `changed since the plan: default_codecs: [PCMA] → [PCMU]`.
    package func conflict(with live: SipProfile) -> String {
        let changes = profile.changes(to: live)
        switch since {
        case .plan:
            return "changed since the plan: " + changes.map(\.text).joined(separator: "; ").escapingControlCharacters
        case .run(let id):
            let fields = changes.map { "\($0.field): written \($0.old.shortText), now \($0.new.shortText)" }
            return "changed since run \(id): " + fields.joined(separator: "; ").escapingControlCharacters
        }
    }
}

import Foundation

/// Who runs an execution and under which change: the ticket (`--change`, `FLEET_CHANGE`), the
/// reason, the operator, the change window (`--not-before`, `--not-after`) and the command told
/// of the run's events (`--notify`).
package struct ChangeRecord: Sendable, Equatable {
    package var change: String?
    package var reason: String?
    package var who: Operator
    package var notBefore: Date?
    package var notAfter: Date?
    package var notify: String?

    package init(
        change: String? = nil, reason: String? = nil, who: Operator = Operator(user: "fleet", host: "localhost"),
        notBefore: Date? = nil, notAfter: Date? = nil, notify: String? = nil
    ) {
        self.change = change
        self.reason = reason
        self.who = who
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.notify = notify
    }

    /// A change reference: 1 to 100 printable characters.
    package static func checkChange(_ change: String) throws {
        guard (1...100).contains(change.count),
            !change.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7f } ?? false })
        else {
            throw FleetError.usage(
                "--change must be a ticket reference of 1 to 100 printable characters (CHG-2291), not \(change.count) characters."
            )
        }
    }

    /// `change window closed at 2026-12-02 03:00 +00:00`: the halt reason of a run its window ended.
    package static func windowClosed(_ end: Date) -> String {
        "change window closed at \(WallTime.text(end))"
    }
}

import Foundation

/// The times operators give fleet (`--until`, `--not-before`, `--not-after`): ISO 8601 with an
/// offset or `Z`; a date alone (through the end of that day, local time); or `HH:MM`, the next
/// such local time.
package enum WallTime {
    /// The instant `text` names, nil when it names none. `now` and `timeZone` place a date or an
    /// `HH:MM`.
    package static func parse(_ text: String, now: Date, timeZone: TimeZone = .current) -> Date? {
        for format in ["yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mmXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX"] {
            if let date = formatter(format, timeZone).date(from: text) { return date }
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        if let day = formatter("yyyy-MM-dd", timeZone).date(from: text), text.count == 10 {
            return calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: day))
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard text.count == 5, parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return calendar.nextDate(
            after: now, matching: DateComponents(hour: hour, minute: minute, second: 0), matchingPolicy: .nextTime)
    }

    /// The instant `text` names, given as `option`; a usage error naming the option when it
    /// names none.
    package static func parse(_ text: String, option: String, now: Date, timeZone: TimeZone = .current) throws
        -> Date
    {
        guard let date = parse(text, now: now, timeZone: timeZone) else {
            throw FleetError.usage(
                "\(option) \(text.escapingControlCharacters) is not a time: give ISO 8601 with an offset (2027-01-31T18:00+01:00), a date (2027-01-31, through its end) or HH:MM (the next such local time)."
            )
        }
        return date
    }

    /// `2026-12-03 02:00 +01:00`: an instant in `timeZone`, for messages.
    package static func text(_ date: Date, timeZone: TimeZone = .current) -> String {
        formatter("yyyy-MM-dd HH:mm xxx", timeZone).string(from: date)
    }

    private static func formatter(_ format: String, _ timeZone: TimeZone) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = Calendar(identifier: .gregorian)
        formatter.timeZone = timeZone
        formatter.dateFormat = format
        formatter.isLenient = false
        return formatter
    }
}

import Foundation

/// The `Retry-After` header of RFC 9110: delay-seconds (digits only) or an HTTP date. Anything
/// else is ignored, and every value is capped, so no header can crash fleet or stall a run.
package enum RetryAfter {
    package static let cap: Duration = .seconds(120)

    /// The wait the header asks for, at most `cap`; nil when it is absent or not understood.
    package static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // Any number of digits: past the cap (or past Int64) it is the cap.
            guard let seconds = Int64(value), seconds < Int64(cap.seconds) else { return cap }
            return .seconds(seconds)
        }
        guard let date = HTTPDate.parse(value) else { return nil }
        let wait = date.timeIntervalSince(now)
        guard wait > 0 else { return .zero }
        return wait >= cap.seconds ? cap : .milliseconds(Int64(wait * 1000))
    }
}

/// The three date forms RFC 9110 asks recipients to read, parsed by hand (no formatter, no
/// locale): `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and
/// `Sun Nov  6 08:49:37 1994`.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    package static func parse(_ text: String) -> Date? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        if words.count == 4 && words[3] == "GMT" {
            let parts = words[1].split(separator: "-")
            guard parts.count == 3, let year = Int(parts[2]) else { return nil }
            return date(
                day: String(parts[0]), month: String(parts[1]),
                year: year < 70 ? 2000 + year : (year < 100 ? 1900 + year : year), time: words[2])
        }
        if words.count == 6 && words[5] == "GMT", let year = Int(words[3]) {
            return date(day: words[1], month: words[2], year: year, time: words[4])
        }
        if words.count == 5, let year = Int(words[4]) {
            return date(day: words[2], month: words[1], year: year, time: words[3])
        }
        return nil
    }

    private static func date(day: String, month: String, year: Int, time: String) -> Date? {
        let clock = time.split(separator: ":").compactMap { Int($0) }
        guard let day = Int(day), (1...31).contains(day), let month = months.firstIndex(of: month.lowercased()),
            (1900...9999).contains(year), clock.count == 3, (0...23).contains(clock[0]), (0...59).contains(clock[1]),
            (0...60).contains(clock[2])
        else {
            return nil
        }
        var parts = DateComponents()
        (parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second) = (
            year, month + 1, day, clock[0], clock[1], clock[2]
        )
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "GMT")!
        return calendar.date(from: parts)
    }
}

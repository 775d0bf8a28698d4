import Foundation

/// The `Retry-After` header of RFC 9110: delay-seconds (digits only) or an HTTP date. Anything
/// else is ignored, and every value is capped, so no header can crash fleet or stall a run.
public enum RetryAfter {
    public static let cap: Duration = .seconds(120)

    /// The wait the header asks for, at most `cap`; nil when it is absent or not understood.
    public static func parse(_ value: String?, now: Date) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            // Any number of digits: past the cap (or past Int64) it is the cap.
            guard let seconds = Int64(value), seconds < Int64(cap.seconds) else { return cap }
            return .seconds(seconds)
        }
        guard let date = httpDate(value) else { return nil }
        let wait = date.timeIntervalSince(now)
        guard wait.isFinite, wait > 0 else { return .zero }
        return wait >= cap.seconds ? cap : .milliseconds(Int64(wait * 1000))
    }

    /// IMF-fixdate, and the two obsolete forms RFC 9110 still asks recipients to read.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

import Foundation

/// `--bake` durations: `30s`, `10m`, `1h` (a unit is required), at most seven days.
package enum BakeDuration {
    package static func parse(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        var number = Substring(text.trimmingCharacters(in: .whitespaces))
        // A unit is required: a bare 10 could be meant as seconds or minutes.
        guard let last = number.last, let unit = units[last] else { return nil }
        number = number.dropLast()
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        let seconds = value * unit
        return seconds <= 7 * 24 * 3600 ? seconds : nil
    }

    package static func text(_ seconds: Double) -> String {
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        return "\(ExecutionOptions.number(seconds))s"
    }
}

/// Durations as reconciler.json writes them: a number and a unit, units in decreasing order, each at most
/// once: `500ms`, `90s`, `1.5s`, `5m`, `1h`, `1h30m`, `2m30s`.
package enum ConfigDuration {
    /// The accepted forms, for error messages.
    package static let acceptedForms =
        "a number and a unit (h, m, s, ms), largest unit first: 500ms, 90s, 5m, 1h, 1h30m"

    /// The longest duration any setting may have: a day. A longer poll, fetch or health timeout is a typo.
    package static let maximum: Duration = .seconds(24 * 3600)

    private static let units: [(suffix: String, value: Duration)] = [
        ("h", .seconds(3600)), ("m", .seconds(60)), ("s", .seconds(1)), ("ms", .milliseconds(1)),
    ]

    /// The duration `text` spells, or nil when it is not in an accepted form. No sign, no spaces.
    /// - Parameters:
    ///   - text: `90s`, `1h30m`, `1.5s`, `500ms`.
    package static func parse(_ text: String) -> Duration? {
        var rest = Substring(text)
        var total = Duration.zero
        var nextUnit = 0  // index into `units`: each unit at most once, largest first
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                fraction = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                guard !fraction.isEmpty else { return nil }
                rest = rest.dropFirst(1 + fraction.count)
            }
            // Bounded digits keep the arithmetic far from Duration's limits.
            guard !whole.isEmpty, whole.count <= 9, fraction.count <= 9, let wholeValue = Int(whole) else {
                return nil
            }
            let suffix = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(suffix.count)
            guard let index = units.firstIndex(where: { $0.suffix == suffix }), index >= nextUnit else { return nil }
            nextUnit = index + 1
            let unit = units[index].value
            total += unit * wholeValue
            if let fractionValue = Int(fraction) {
                total += unit * fractionValue / power10(fraction.count)
            }
        }
        return total
    }

    /// The shortest accepted spelling of `duration` that `parse` reads back: `2m`, `90s`, `1h30m`, `1.5s`,
    /// `500ms`, `0.25ms`. Negative durations get a leading `-` (which `parse` does not accept).
    /// - Parameters:
    ///   - duration: Any duration.
    package static func format(_ duration: Duration) -> String {
        if duration < .zero { return "-" + format(.zero - duration) }
        let (seconds, attoseconds) = duration.components
        let attoPerMillisecond: Int64 = 1_000_000_000_000_000
        if attoseconds == 0 {
            if seconds == 0 { return "0s" }
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds > 3600 && seconds % 60 == 0 { return "\(seconds / 3600)h\(seconds % 3600 / 60)m" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
        if seconds == 0 {
            let milliseconds = attoseconds / attoPerMillisecond
            let rest = attoseconds % attoPerMillisecond
            if rest == 0 { return "\(milliseconds)ms" }
            return "\(milliseconds).\(fractionDigits(rest, width: 15))ms"
        }
        return "\(seconds).\(fractionDigits(attoseconds, width: 18))s"
    }

    /// `value` as `width` decimal digits, trailing zeros dropped.
    private static func fractionDigits(_ value: Int64, width: Int) -> String {
        let digits = String(value)
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return String(padded.reversed().drop { $0 == "0" }.reversed())
    }

    private static func power10(_ exponent: Int) -> Int {
        (0..<exponent).reduce(1) { result, _ in result * 10 }
    }
}

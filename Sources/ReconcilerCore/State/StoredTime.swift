import Foundation
import GRDB

/// A time as the state database stores it: the text GRDB writes for a `Date` (`2026-12-01 02:30:05.123`, UTC,
/// to the millisecond), so rows written before and after read the same and sort as text.
///
/// Written and read here by arithmetic, not through GRDB's `Date` conformance: that one formats with Foundation's
/// `DateFormatter` and parses through `Calendar`, which load ICU (186 calls at daemon start, for a timestamp per
/// deployment and step; none now).
package struct StoredTime: DatabaseValueConvertible, Equatable, Sendable {
    package var date: Date

    package init(_ date: Date) { self.date = date }

    /// Now.
    package static var now: StoredTime { StoredTime(Date()) }

    package var databaseValue: DatabaseValue { Self.text(date).databaseValue }

    /// Text as GRDB stores dates (`yyyy-MM-dd HH:mm:ss.SSS`, UTC), also a number of seconds since 1970 (what GRDB
    /// reads a number as). `nil` for anything else.
    package static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredTime? {
        switch dbValue.storage {
        case .int64(let seconds): return StoredTime(Date(timeIntervalSince1970: TimeInterval(seconds)))
        case .double(let seconds): return StoredTime(Date(timeIntervalSince1970: seconds))
        case .string(let text): return parse(text).map(StoredTime.init)
        case .null, .blob: return nil
        }
    }

    /// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, to the nearest millisecond, as GRDB's formatter writes it.
    package static func text(_ date: Date) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (days, msOfDay) = floorDivide(millis, 86_400_000)
        let (year, month, day) = civil(fromDays: days)
        let seconds = msOfDay / 1000
        var out = pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2)
        out += " " + pad(seconds / 3600, 2) + ":" + pad(seconds / 60 % 60, 2) + ":" + pad(seconds % 60, 2)
        return out + "." + pad(msOfDay % 1000, 3)
    }

    /// `yyyy-MM-dd`, optionally followed (after a space or `T`) by `HH:mm`, `:ss` and a fraction: the forms GRDB
    /// reads. Times are UTC.
    package static func parse(_ text: String) -> Date? {
        var s = Scanner(Array(text.utf8))
        guard let year = s.digits(4), s.take(UInt8(ascii: "-")), let month = s.digits(2),
            s.take(UInt8(ascii: "-")), let day = s.digits(2), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(days(fromCivil: year, month, day)) * 86_400
        if s.atEnd { return Date(timeIntervalSince1970: seconds) }
        guard s.take(UInt8(ascii: " ")) || s.take(UInt8(ascii: "T")), let hour = s.digits(2),
            s.take(UInt8(ascii: ":")), let minute = s.digits(2), hour < 24, minute < 60
        else { return nil }
        seconds += Double(hour * 3600 + minute * 60)
        if s.take(UInt8(ascii: ":")) {
            guard let second = s.digits(2), second < 60 else { return nil }
            seconds += Double(second)
            if s.take(UInt8(ascii: ".")) {
                var scale = 0.1
                var any = false
                while let digit = s.digits(1) {
                    seconds += Double(digit) * scale
                    scale /= 10
                    any = true
                }
                guard any else { return nil }
            }
        }
        return s.atEnd ? Date(timeIntervalSince1970: seconds) : nil
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Year, month, day of a day count from 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
    /// `civil_from_days`).
    private static func civil(fromDays z: Int64) -> (Int64, Int64, Int64) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The inverse of ``civil(fromDays:)`` (`days_from_civil`).
    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Reads ASCII digits and separators off a UTF-8 buffer.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Exactly `count` digits as a number, or `nil` (and nothing consumed).
        mutating func digits(_ count: Int) -> Int64? {
            guard index + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[index..<index + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            index += count
            return value
        }
    }
}

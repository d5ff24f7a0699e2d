import Foundation

/// Parses the times people type: ISO 8601 (with or without `T`, `Z`, an offset, fractions),
/// compact `20170501`, `20170501T1200`, `2017-05-01 12`, `mjd:57874.5`, `now`, and relative
/// times such as `-2d` or `-6h` (before `now`).
public enum TimeArgument {
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public var text: String
        /// What is wrong, when more is known than "not a time".
        public var reason: String?

        public init(text: String, reason: String? = nil) { self.text = text; self.reason = reason }

        public var description: String {
            if let reason { return "'\(text)' \(reason)" }
            return "'\(text)' is not a time; write e.g. 2017-05-01T12:00:00Z, 20170501, 20170501T1200, mjd:57874.5, now or -2d"
        }

        static func outOfRange(_ text: String) -> Invalid {
            Invalid(text: text, reason: "is out of range: Tidemark takes times within 10000 years of 1970")
        }
    }

    public static func parse(_ raw: String, now: Instant) throws(Invalid) -> Instant {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let lower = text.lowercased()
        if lower == "now" { return now }
        if lower.hasPrefix("mjd:"), let mjd = Double(lower.dropFirst(4)) {
            guard let t = FITSTimeKeywords.mjdLabel(mjd), Instant.supported.contains(t) else { throw .outOfRange(raw) }
            return t
        }
        if text.hasPrefix("-") || text.hasPrefix("+") {
            let us: Int64
            do { us = try Duration.parse(String(text.dropFirst())) } catch {
                // `-2d` that is too long is out of range; anything else may still be a date.
                if error.tooLong { throw .outOfRange(raw) }
                throw Invalid(text: raw)
            }
            let t = Instant(microseconds: now.microseconds + (text.hasPrefix("-") ? -us : us))
            guard Instant.supported.contains(t) else { throw .outOfRange(raw) }
            return t
        }
        guard let t = parseCalendar(Array(text.utf8)) else { throw Invalid(text: raw) }
        return t
    }

    /// The window `[from, to)` of two time options, refused when it ends before it begins
    /// (`find`, `covers` and `coverage` share this check).
    public static func window(from: Instant?, to: Instant?) throws(Invalid) -> TimeWindow {
        if let from, let to, to < from {
            throw Invalid(text: "\(from.iso8601),\(to.iso8601)", reason: "ends before it begins")
        }
        return TimeWindow(begin: from, end: to)
    }

    /// Parses `BEGIN,END` with either end open (`20000101,` or `,20170601`), as
    /// `iss_catalog.py --time` does; a single time is an instant (begin == end).
    public static func parseRange(_ raw: String, now: Instant) throws(Invalid) -> (begin: Instant?, end: Instant?) {
        guard let comma = raw.firstIndex(of: ",") else {
            let t = try parse(raw, now: now)
            return (t, t)
        }
        let a = raw[..<comma].trimmingCharacters(in: .whitespaces)
        let b = raw[raw.index(after: comma)...].trimmingCharacters(in: .whitespaces)
        return (a.isEmpty ? nil : try parse(a, now: now), b.isEmpty ? nil : try parse(b, now: now))
    }

    private static func parseCalendar(_ s: [UInt8]) -> Instant? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let b = s[i + k]
                guard b >= 48 && b <= 57 else { return nil }
                v = v * 10 + Int(b - 48)
            }
            i += n
            return v
        }
        func skip(_ c: Character) -> Bool {
            if i < s.count && s[i] == c.asciiValue! { i += 1; return true }
            return false
        }
        guard let year = digits(4) else { return nil }
        let dashed = skip("-")
        guard let month = digits(2) else { return i == s.count ? Instant(year: year, month: 1, day: 1) : nil }
        if dashed { guard skip("-") else { return nil } }
        guard let day = digits(2) else { return nil }
        var hour = 0, minute = 0, second = 0, micro = 0
        if i < s.count {
            guard skip("T") || skip("t") || skip(" ") || skip("_") else { return nil }
            guard let h = digits(2) else { return nil }
            hour = h
            let colon = skip(":")
            if let m = digits(2) {
                minute = m
                if colon { _ = skip(":") }
                if let sec = digits(2) {
                    second = sec
                    if skip(".") || skip(",") {
                        var scale = 100_000
                        while i < s.count, s[i] >= 48, s[i] <= 57 {
                            micro += Int(s[i] - 48) * scale
                            scale /= 10
                            i += 1
                        }
                    }
                }
            }
        }
        var offset = 0
        if i < s.count {
            if skip("Z") || skip("z") {
            } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
                let sign = s[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                guard let oh = digits(2) else { return nil }
                _ = skip(":")
                guard let seconds = ClockFields.offsetSeconds(hours: oh, minutes: digits(2) ?? 0) else { return nil }
                offset = sign * seconds
            } else {
                return nil
            }
        }
        guard i == s.count, let t = Instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micro) else {
            return nil
        }
        return Instant(microseconds: t.microseconds - Int64(offset) * 1_000_000)
    }
}

import Foundation

/// Parses durations written by people: `14400`, `30s`, `5m`, `4h`, `1d`, `2w`, `90min`.
public enum Duration {
    /// The longest duration taken: 10,000 years (Julian), in microseconds. Any instant a
    /// person can name, moved by one, stays far inside Int64, so no arithmetic traps.
    public static let longest: Int64 = 10_000 * 31_557_600 * 1_000_000

    /// A duration that cannot be used, said so a person knows what to write instead.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var text: String
        /// True when the text is a duration, but longer than `Duration.longest`.
        public var tooLong: Bool

        public var description: String {
            tooLong ? "'\(text)' is longer than 10000 years, the longest duration Tidemark takes"
                : "'\(text)' is not a duration; write seconds (14400) or a number with s, m, h, d or w (4h, 90min)"
        }
    }

    /// Microseconds, or `Invalid` (not a duration, or longer than `longest`).
    public static func parse(_ text: String) throws(Invalid) -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
        guard !digits.isEmpty, let value = Double(digits) else { throw Invalid(text: text, tooLong: false) }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        let seconds: Double
        switch unit {
        case "", "s", "sec", "secs", "second", "seconds": seconds = 1
        case "m", "min", "mins", "minute", "minutes": seconds = 60
        case "h", "hr", "hour", "hours": seconds = 3600
        case "d", "day", "days": seconds = 86_400
        case "w", "week", "weeks": seconds = 604_800
        default: throw Invalid(text: text, tooLong: false)
        }
        let micros = value * seconds * 1_000_000
        guard micros.isFinite, micros <= Double(longest) else { throw Invalid(text: text, tooLong: true) }
        return Int64(micros.rounded())
    }

    /// Whole seconds (a TOML integer) as microseconds; nil when negative or over `longest`.
    public static func microseconds(seconds: Int) -> Int64? {
        guard seconds >= 0, seconds <= Int(longest / 1_000_000) else { return nil }
        return Int64(seconds) * 1_000_000
    }

    /// Microseconds, or nil when `text` is not a duration `parse` takes.
    public static func parseMicroseconds(_ text: String) -> Int64? { try? parse(text) }
}

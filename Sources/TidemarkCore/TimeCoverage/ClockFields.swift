/// The rules every parser of clock times shares, so a time typed on the command line, in
/// a policy, in a file name or in a header is held to the same standard.
enum ClockFields {
    /// The largest UTC offset in use anywhere (Kiribati, +14:00), in seconds.
    static let largestOffset = 14 * 3600

    /// Hour 0–23, minute 0–59, second 0–59; second 60 only at 23:59, where a leap second goes.
    static func isValid(hour: Int, minute: Int, second: Int) -> Bool {
        guard (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return false }
        return second < 60 || (hour == 23 && minute == 59)
    }

    /// An offset of `hours` and `minutes` in seconds; nil unless minutes are 0–59 and the
    /// whole is within ±14:00.
    static func offsetSeconds(hours: Int, minutes: Int) -> Int? {
        guard hours >= 0, (0...59).contains(minutes) else { return nil }
        let total = hours * 3600 + minutes * 60
        return total <= largestOffset ? total : nil
    }
}

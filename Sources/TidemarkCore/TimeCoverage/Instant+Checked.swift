/// Bounds and arithmetic for numbers from headers and people that may be absurd: these
/// return nil instead of trapping on overflow, so a corrupt header or a mistyped time gives
/// an error or a note, never a crash; and durations in words for those notes.
extension Instant {
    /// The instants Tidemark takes from people: within 10,000 years of 1970, so that any
    /// of them moved by any duration it takes stays far inside Int64.
    public static let supported = Instant(microseconds: -Duration.longest)...Instant(microseconds: Duration.longest)

    /// Seconds as whole microseconds (rounded); nil unless finite and within ±100,000 years.
    static func checkedMicroseconds(seconds: Double) -> Int64? {
        guard seconds.isFinite, abs(seconds) < 3.2e12 else { return nil }
        return Int64((seconds * 1_000_000).rounded())
    }

    /// This instant moved by `micros`; nil on overflow.
    func adding(microseconds micros: Int64) -> Instant? {
        let (sum, overflow) = microseconds.addingReportingOverflow(micros)
        return overflow ? nil : Instant(microseconds: sum)
    }

    /// A duration for notes: "0.9 s", "12.5 min", "23.2 h".
    static func durationText(_ micros: Int64) -> String {
        let s = Double(micros) / 1_000_000
        return s < 120 ? "\((s * 1000).rounded() / 1000) s" : s < 7200 ? "\((s / 6).rounded() / 10) min" : "\((s / 360).rounded() / 10) h"
    }
}

/// Arithmetic on header-supplied numbers that may be absurd: these return nil instead of
/// trapping on overflow, so a corrupt header gives an error or a note, never a crash.
extension Instant {
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
}

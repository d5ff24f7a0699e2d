/// ACDD's global `time_coverage_start` / `time_coverage_end` (and `_duration`), as char
/// or string attributes in ISO 8601, or as numbers (seconds since 1970, as some
/// aggregations write them).
struct ACDDAttributes {
    var start: NetCDFFile.Attribute?
    var end: NetCDFFile.Attribute?
    var duration: NetCDFFile.Attribute?

    /// The coverage the attributes give; nil when neither a start nor an end is usable.
    func coverage(_ notes: inout [String]) -> Coverage? {
        let s = Self.instant(start, "time_coverage_start", &notes)
        var e = Self.instant(end, "time_coverage_end", &notes)
        if s != nil, e == nil, let text = duration?.text, let seconds = Self.durationSeconds(text),
           let d = Instant.checkedMicroseconds(seconds: seconds) {
            e = s!.adding(microseconds: d)
            notes.append("time_coverage_end from time_coverage_duration \(text)")
        }
        guard let first = s ?? e else { return nil }
        let last = e ?? first
        if last < first {
            notes.append("time_coverage_end \(last.iso8601) is before time_coverage_start \(first.iso8601)")
            return Coverage(start: last, end: first)
        }
        return Coverage(start: first, end: last)
    }

    private static func instant(_ a: NetCDFFile.Attribute?, _ name: String, _ notes: inout [String]) -> Instant? {
        switch a {
        case nil: return nil
        case .numbers(let v)?:
            guard let x = v.first, let us = Instant.checkedMicroseconds(seconds: x) else { return nil }
            notes.append("\(name) is a number (\(x)): read as seconds since 1970-01-01 UTC")
            return Instant(microseconds: us)
        case let a?:
            guard let text = a.text, !text.trimmingBlanks.isEmpty else { return nil }
            guard let label = FITSDateParser.parse(text), let i = label.instant else {
                notes.append("\(name) '\(text)' is not an ISO 8601 date")
                return nil
            }
            return i
        }
    }

    /// Seconds of an ISO 8601 duration (`PT1H`, `P1DT12H`, `P81000S` without its `T`).
    static func durationSeconds(_ text: String) -> Double? {
        var s = Substring(text.trimmingBlanks.uppercased())
        guard s.first == "P" else { return nil }
        s.removeFirst()
        var total = 0.0
        var inTime = false
        var number = ""
        var any = false
        for c in s {
            if c == "T" { inTime = true; continue }
            if c.isNumber || c == "." || c == "," { number.append(c == "," ? "." : c); continue }
            guard let v = Double(number) else { return nil }
            number = ""
            any = true
            switch c {
            case "Y": total += v * 365.25 * 86_400
            case "W": total += v * 7 * 86_400
            case "D": total += v * 86_400
            case "H": total += v * 3600
            case "M": total += inTime ? v * 60 : v * 30.436875 * 86_400
            case "S": total += v
            default: return nil
            }
        }
        return any && number.isEmpty ? total : nil
    }
}

/// The time keywords of one FITS HDU, turned into a UTC coverage by the precedence of
/// the FITS time standard (Rots et al. 2015) as issue 3 orders it:
///
/// - start: DATE-BEG > DATE-OBS (+ TIME-OBS/UT/UTSTART when it holds only a date) >
///   MJD-BEG > MJD-OBS > TSTART from MJDREFI+MJDREFF > MJDREF > JDREF > DATEREF in
///   TIMEUNIT; then the non-standard DATE_OBS and MJD_OBS (RHESSI, Chandra);
/// - end: DATE-END (+ TIME-END when it holds only a date) > MJD-END > TSTOP > DATE_END
///   (+ TIME_END) > start + TELAPSE/XPOSURE/EXPTIME/EXPOSURE > start.
///
/// DATE (when the file was written) is never used. TIMESYS TT/TAI/TDB/GPS/TCG/TCB is
/// converted to UTC; an unknown TIMESYS is noted and read as UTC. TSTART/TSTOP count
/// only when TSTART agrees with the start the DATE or MJD keywords give.
struct FITSTimeKeywords {
    /// Every keyword this type reads; the reader collects only these cards.
    static let names: Set<String> = [
        "DATE-BEG", "DATE-OBS", "TIME-OBS", "UT", "UTSTART", "MJD-BEG", "MJD-OBS",
        "TSTART", "TSTOP", "MJDREFI", "MJDREFF", "MJDREF", "JDREFI", "JDREFF", "JDREF", "DATEREF",
        "TIMEUNIT", "TIMESYS", "TIMEZERO", "TIMEREF",
        "DATE-END", "TIME-END", "MJD-END", "TELAPSE", "XPOSURE", "EXPTIME", "EXPOSURE",
        "DATE_OBS", "DATE_BEG", "TIME_OBS", "DATE_END", "TIME_END", "MJD_OBS",
    ]
    /// Keywords whose comments are read (an exposure's unit); other cards keep no comment.
    static let commentedNames: Set<String> = ["EXPTIME", "EXPOSURE"]
    static let keywordSet = FITSKeywordSet(names, commented: commentedNames)

    /// Keywords that give a start: an HDU without any of them holds no time.
    static let startNames = ["DATE-BEG", "DATE-OBS", "MJD-BEG", "MJD-OBS", "TSTART", "DATE_OBS", "DATE_BEG", "MJD_OBS"]

    /// How far TSTART may lie from DATE-OBS and still be trusted (headers round DATE-OBS to seconds).
    static let agreement: Int64 = 2_000_000

    var cards: FITSCards

    init(cards: FITSCards) { self.cards = cards }

    /// Cards by name, as tests write them.
    init(cards: [String: FITSCard]) { self.cards = FITSCards(cards) }

    static let startWords = startNames.map(FITSKeywordSet.word(of:))

    var hasStartKeyword: Bool { Self.startWords.contains { cards[word: $0] != nil } }

    // MARK: - Values

    /// A string value without its quotes and trailing blanks (`''` is a quote).
    func string(_ name: StaticString) -> String? {
        guard let raw = cards[name]?.value else { return nil }
        return Self.unquote(raw)
    }

    static func unquote(_ raw: String) -> String {
        var raw = raw
        return raw.withUTF8 { b in
            var lo = 0, hi = b.count
            while lo < hi, b[lo] == 0x20 { lo += 1 }
            guard lo < hi, b[lo] == 0x27 else {
                while hi > lo, b[hi - 1] == 0x20 { hi -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
            }
            lo += 1
            if hi > lo, b[hi - 1] == 0x27 { hi -= 1 }
            let inner = UnsafeBufferPointer(rebasing: b[lo..<hi])
            // Inside a FITS string, '' stands for one quote.
            var out: [UInt8] = []
            if inner.contains(0x27) {
                out.reserveCapacity(inner.count)
                var previousQuote = false
                for c in inner {
                    if c == 0x27 && previousQuote { previousQuote = false; continue }
                    previousQuote = c == 0x27
                    out.append(c)
                }
            } else {
                var n = inner.count
                while n > 0, inner[n - 1] == 0x20 { n -= 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: inner[..<n]), as: UTF8.self)
            }
            while out.last == 0x20 { out.removeLast() }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// A finite number, written plainly, with a Fortran `D` exponent, or quoted.
    func number(_ name: StaticString) -> Double? {
        guard let raw = cards[name]?.value else { return nil }
        return Self.number(raw)
    }

    /// `number(_:)` of a card's raw value. Bytes in a small buffer, not String operations:
    /// this runs for every time card of every file.
    static func number(_ raw: String) -> Double? {
        var raw = raw
        return raw.withUTF8 { text in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { bytes -> Double? in
                var count = 0
                var ended = false
                for c in text {
                    if c == 0x20 || c == 0x27 || c == 0x09 || c == 0 {
                        // Blanks and quotes only around the number, not inside it.
                        if count > 0 { ended = true }
                        continue
                    }
                    guard !ended, count < 40 else { return nil }
                    bytes[count] = c == 0x44 || c == 0x64 ? 0x45 : c  // D exponent → E
                    count += 1
                }
                guard count > 0 else { return nil }
                let digits = UnsafeBufferPointer(rebasing: bytes[..<count])
                if let v = exactDecimal(digits) { return v }
                guard let v = Double(String(decoding: digits, as: UTF8.self)), v.isFinite else { return nil }
                return v
            }
        }
    }

    /// A plain decimal (`-123.456`) whose digits fit a Double exactly, without strtod: the
    /// digits as an integer divided by a power of ten that is itself exact, which IEEE
    /// division rounds correctly, so the result is strtod's to the bit. Anything else
    /// (exponents, more than 15 digits, `inf`, hex) gives nil and goes to `Double(_:)`.
    static func exactDecimal(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        var negative = false
        if i < b.count, b[i] == UInt8(ascii: "-") || b[i] == UInt8(ascii: "+") { negative = b[i] == UInt8(ascii: "-"); i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0, fraction = 0
        var point = false, any = false
        while i < b.count {
            let c = b[i]
            if c >= 0x30 && c <= 0x39 {
                any = true
                // Leading zeros add no precision.
                if mantissa != 0 || c != 0x30 { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(c - 0x30)
                if point { fraction += 1 }
            } else if c == UInt8(ascii: "."), !point {
                point = true
            } else {
                return nil
            }
            i += 1
        }
        guard any, fraction <= 22 else { return nil }
        let value = Double(mantissa) / exactPowersOfTen[fraction]
        return negative ? -value : value
    }

    /// 10⁰ … 10²², every one exact in a Double.
    private static let exactPowersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }

    // MARK: - Coverage

    /// The coverage, or nil coverage (with notes) when the HDU holds no usable time.
    func reading() -> CoverageReading {
        var notes: [String] = []
        let scale = timeScale(&notes)
        if let ref = string("TIMEREF")?.uppercased(), ["SOLARSYSTEM", "BARYCENTER", "BARYCENTRIC", "HELIOCENTER", "HELIOCENTRIC"].contains(ref) {
            notes.append("TIMEREF \(ref): times are corrected to the solar system barycentre or Sun, up to ±500 s from when the data reached Earth")
        }
        let unit = timeUnit(&notes)

        func utc(_ label: DateLabel, _ key: StaticString) -> Instant? {
            guard let l = label.instant else { notes.append("\(key) '\(string(key) ?? "")' is not a valid date"); return nil }
            let s = label.scale.flatMap { TimeScale(fitsName: $0) } ?? scale
            if s != .utc && TimeScale.beforeLeapTable(l) {
                notes.append("\(key) is before 1972, where TAI−UTC is taken as 10 s")
            }
            return s.toUTC(l)
        }
        func date(_ key: StaticString) -> DateLabel? {
            guard let text = string(key) else { return nil }
            guard let label = FITSDateParser.parse(text) else {
                if !text.trimmingBlanks.isEmpty { notes.append("\(key) '\(text)' is not a date Tidemark can read") }
                return nil
            }
            return label
        }
        func mjd(_ key: StaticString) -> Instant? {
            guard let v = number(key) else { return nil }
            guard let label = Self.mjdLabel(v) else { notes.append("\(key) \(v) is out of range"); return nil }
            return scale.toUTC(label)
        }

        // The start, and a date-only day to fall back on.
        var start: Instant?
        var startKey = ""
        var day: (key: StaticString, label: DateLabel)?
        func take(_ key: StaticString, _ label: DateLabel?, timeKeys: [StaticString] = []) {
            guard start == nil, var label else { return }
            if label.timeOfDay == nil {
                for t in timeKeys {
                    if let text = string(t), let tod = FITSDateParser.parseTimeOfDay(text) {
                        label.timeOfDay = tod
                        if let i = utc(label, key) { start = i; startKey = "\(key)+\(t)" }
                        return
                    }
                }
                if day == nil { day = (key, label) }
                return
            }
            if let i = utc(label, key) { start = i; startKey = key.description }
        }
        /// A time from a less exact keyword, kept only when it falls on the date-only day.
        func takeInstant(_ key: StaticString, _ instant: Instant?) {
            guard start == nil, let instant else { return }
            if let day, let d0 = utc(DateLabel(year: day.label.year, month: day.label.month, day: day.label.day, timeOfDay: 0, scale: day.label.scale), day.key) {
                let inDay = instant >= d0 && instant.microseconds < d0.microseconds &+ 86_400_000_000
                guard inDay else {
                    notes.append("\(key) \(instant.iso8601) is not on \(day.key) \(day.label); not used")
                    return
                }
            }
            start = instant; startKey = key.description
        }

        take("DATE-BEG", date("DATE-BEG"))
        take("DATE-OBS", date("DATE-OBS"), timeKeys: ["TIME-OBS", "UT", "UTSTART"])
        takeInstant("MJD-BEG", mjd("MJD-BEG"))
        takeInstant("MJD-OBS", mjd("MJD-OBS"))
        let tstart = elapsed("TSTART", scale: scale, unit: unit, &notes)
        takeInstant("TSTART", tstart)
        take("DATE_BEG", date("DATE_BEG"))
        take("DATE_OBS", date("DATE_OBS"), timeKeys: ["TIME_OBS", "TIME-OBS", "UT"])
        takeInstant("MJD_OBS", mjd("MJD_OBS"))

        var dayOnly = false
        if start == nil, let day {
            start = utc(DateLabel(year: day.label.year, month: day.label.month, day: day.label.day, timeOfDay: 0, scale: day.label.scale), day.key)
            startKey = day.key.description
            dayOnly = start != nil
            if dayOnly { notes.append("\(day.key) '\(string(day.key) ?? "")' gives only a date and no keyword gives the time: coverage is the whole day") }
        }
        guard let start else {
            if cards["TSTART"] != nil && tstart == nil && notes.isEmpty { notes.append("TSTART could not be read") }
            return CoverageReading(coverage: nil, notes: notes)
        }
        if startKey.hasPrefix("DATE_") || startKey == "MJD_OBS" {
            notes.append("start from the non-standard \(startKey) (no DATE-OBS)")
        } else if startKey != "DATE-BEG" && startKey != "DATE-OBS" && !startKey.hasPrefix("DATE-OBS+") && startKey != "TSTART" && day != nil {
            notes.append("\(day!.key) gives only a date; the time of day is from \(startKey)")
        }

        // TSTART/TSTOP count only when TSTART agrees with the start.
        var trustTSTOP = startKey == "TSTART"
        if let tstart, startKey != "TSTART", !dayOnly {
            let gap = abs(tstart.microseconds &- start.microseconds)
            if gap <= Self.agreement { trustTSTOP = true } else {
                notes.append("TSTART (\(tstart.iso8601)) disagrees with \(startKey) (\(start.iso8601)) by \(Instant.durationText(gap)): TSTART and TSTOP not used")
            }
        }
        if let m = mjd("MJD-OBS"), startKey.hasPrefix("DATE-OBS") {
            let gap = abs(m.microseconds &- start.microseconds)
            if gap > Self.agreement { notes.append("MJD-OBS (\(m.iso8601)) disagrees with \(startKey) (\(start.iso8601)) by \(Instant.durationText(gap))") }
        }

        // The end.
        var end: Instant?
        func offer(_ key: StaticString, _ instant: Instant?) {
            guard end == nil, let instant else { return }
            if instant < start {
                notes.append("\(key) \(instant.iso8601) is before the start \(start.iso8601); not used")
                return
            }
            end = instant
        }
        /// A date-only end takes its time of day from `timeKeys`, as the start does; without
        /// one it means the end of that day.
        func endDate(_ key: StaticString, timeKeys: [StaticString]) -> Instant? {
            guard var label = date(key) else { return nil }
            if label.timeOfDay == nil {
                label.timeOfDay = timeKeys.lazy.compactMap { self.string($0).flatMap(FITSDateParser.parseTimeOfDay) }.first ?? 86_400_000_000
            }
            return utc(label, key)
        }
        offer("DATE-END", endDate("DATE-END", timeKeys: ["TIME-END"]))
        offer("MJD-END", mjd("MJD-END"))
        if trustTSTOP { offer("TSTOP", elapsed("TSTOP", scale: scale, unit: unit, &notes)) }
        offer("DATE_END", endDate("DATE_END", timeKeys: ["TIME_END", "TIME-END"]))
        if dayOnly {
            offer("the whole day", Instant(microseconds: start.microseconds &+ 86_400_000_000))
        }
        let durations: [(StaticString, Double?)] = [("TELAPSE", unit), ("XPOSURE", unit), ("EXPTIME", nil), ("EXPOSURE", nil)]
        for (key, perUnit) in durations where end == nil {
            guard let v = number(key) else { continue }
            let secondsPer = perUnit ?? Self.durationUnit(comment: cards[key]?.comment ?? "")
            guard let secondsPer else { continue }
            guard v >= 0, let d = Self.micros(v * secondsPer) else {
                notes.append("\(key) = \(v) is not a usable duration")
                continue
            }
            if secondsPer != 1 && perUnit == nil { notes.append("\(key) read in \(secondsPer == 60 ? "minutes" : secondsPer == 3600 ? "hours" : "units of \(secondsPer) s"), as its comment says") }
            offer(key, Self.add(start, d))
        }
        return CoverageReading(coverage: Coverage(start: start, end: end ?? start), notes: notes)
    }

    // MARK: - Pieces

    private func timeScale(_ notes: inout [String]) -> TimeScale {
        guard let name = string("TIMESYS")?.trimmingBlanks, !name.isEmpty else { return .utc }
        guard let s = TimeScale(fitsName: name) else {
            notes.append("TIMESYS '\(name)' is not a time scale Tidemark knows: times read as UTC")
            return .utc
        }
        return s
    }

    /// Seconds per TIMEUNIT (default s); nil (noted) when the unit is unknown.
    private func timeUnit(_ notes: inout [String]) -> Double? {
        guard let u = string("TIMEUNIT")?.trimmingBlanks, !u.isEmpty else { return 1 }
        switch u.lowercased() {
        case "s", "sec", "second", "seconds": return 1
        case "ms": return 0.001
        case "min": return 60
        case "h": return 3600
        case "d", "day", "days": return 86_400
        case "a", "yr": return 365.25 * 86_400
        case "cy": return 36_525 * 86_400
        default:
            notes.append("TIMEUNIT '\(u)' is not a unit Tidemark knows: TSTART, TSTOP, TELAPSE and XPOSURE not used")
            return nil
        }
    }

    /// TSTART or TSTOP: TIMEZERO + value, in TIMEUNIT, after the reference time.
    private func elapsed(_ key: StaticString, scale: TimeScale, unit: Double?, _ notes: inout [String]) -> Instant? {
        guard let value = number(key), let unit else { return nil }
        guard let ref = reference() else {
            if !notes.contains(where: { $0.hasPrefix("TSTART has no reference") }) {
                notes.append("TSTART has no reference time (MJDREF, JDREF or DATEREF): TSTART and TSTOP not used")
            }
            return nil
        }
        guard let d = Self.micros(((number("TIMEZERO") ?? 0) + value) * unit), let label = Self.add(ref, d) else { return nil }
        return scale.toUTC(label)
    }

    /// The reference time of TSTART/TSTOP as a label in TIMESYS.
    private func reference() -> Instant? {
        if let i = number("MJDREFI") {
            return Self.mjdLabel(whole: i, fraction: number("MJDREFF") ?? 0)
        }
        if let m = number("MJDREF") { return Self.mjdLabel(m) }
        if let i = number("JDREFI") {
            return Self.mjdLabel(whole: i - 2_400_000, fraction: (number("JDREFF") ?? 0) - 0.5)
        }
        if let j = number("JDREF") {
            let whole = j.rounded(.down)
            return Self.mjdLabel(whole: whole - 2_400_000, fraction: j - whole - 0.5)
        }
        if let text = string("DATEREF"), let label = FITSDateParser.parse(text) { return label.instant }
        return nil
    }

    /// Seconds per unit an exposure's comment names (`Exposure time minutes`); 1 by default.
    static func durationUnit(comment: String) -> Double? {
        if comment.isEmpty { return 1 }
        var comment = comment
        // One pass over the bytes, folded as compared, noting which units are named
        // anywhere; the first unit of `unitWords` named wins.
        return comment.withUTF8 { c in
            var named = [false, false, false]
            for i in c.indices {
                let first = c[i] >= 0x41 && c[i] <= 0x5a ? c[i] | 0x20 : c[i]
                guard first == UInt8(ascii: "m") || first == UInt8(ascii: "h") || first == UInt8(ascii: "[") || first == UInt8(ascii: "(") else { continue }
                for (unit, (words, _)) in unitWords.enumerated() where !named[unit] {
                    named[unit] = words.contains { w in
                        guard c.count - i >= w.count else { return false }
                        for j in 0..<w.count where (c[i + j] >= 0x41 && c[i + j] <= 0x5a ? c[i + j] | 0x20 : c[i + j]) != w[j] { return false }
                        return true
                    }
                }
            }
            return unitWords.indices.first { named[$0] }.map { unitWords[$0].1 } ?? 1
        }
    }

    /// Words that name a unit, lower case, each beginning with m, h, [ or (.
    static let unitWords: [([[UInt8]], Double)] = [
        (["minute", "[min]", "(min)"].map { Array($0.utf8) }, 60),
        (["hour", "[h]", "(h)"].map { Array($0.utf8) }, 3600),
        (["millisec", "[ms]", "(ms)"].map { Array($0.utf8) }, 0.001),
    ]

    /// A Modified Julian Date as a label (MJD 40587 is 1970-01-01).
    static func mjdLabel(_ mjd: Double) -> Instant? {
        guard mjd.isFinite else { return nil }
        let whole = mjd.rounded(.down)
        return mjdLabel(whole: whole, fraction: mjd - whole)
    }

    /// Whole days and a fraction kept apart, so the fraction keeps its precision.
    static func mjdLabel(whole: Double, fraction: Double) -> Instant? {
        guard whole.isFinite, fraction.isFinite, abs(whole) < 1e8, abs(fraction) < 1e8 else { return nil }
        guard let w = micros((whole - 40_587) * 86_400), let f = micros(fraction * 86_400) else { return nil }
        return add(Instant(microseconds: w), f)
    }

    static func micros(_ seconds: Double) -> Int64? { Instant.checkedMicroseconds(seconds: seconds) }

    static func add(_ i: Instant, _ micros: Int64) -> Instant? { i.adding(microseconds: micros) }

}

extension String {
    /// Without leading and trailing blanks (spaces, tabs, NULs).
    var trimmingBlanks: String {
        var copy = self
        if let ascii = copy.withUTF8(Self.trimmedASCII) { return ascii }
        // Not ASCII: by Characters, as a blank joined to a combining mark is no blank.
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" || c == "\0" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" || c == "\0" { s.removeLast() }
        return String(s)
    }

    /// `trimmingBlanks` of ASCII bytes (every well-formed header value), without building
    /// Characters; nil when the bytes are not all ASCII.
    private static func trimmedASCII(_ b: UnsafeBufferPointer<UInt8>) -> String? {
        guard !b.contains(where: { $0 >= 0x80 }) else { return nil }
        var lo = 0, hi = b.count
        while lo < hi, b[lo] == 0x20 || b[lo] == 0x09 || b[lo] == 0 { lo += 1 }
        while hi > lo, b[hi - 1] == 0x20 || b[hi - 1] == 0x09 || b[hi - 1] == 0 { hi -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: b[lo..<hi]), as: UTF8.self)
    }
}

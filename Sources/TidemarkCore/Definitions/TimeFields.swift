/// A strftime field in a path pattern.
public enum TimeField: Sendable, Hashable, CaseIterable {
    case year4, year2, month, day, dayOfYear, hour, minute, second

    init?(letter: UInt8) {
        switch letter {
        case UInt8(ascii: "Y"): self = .year4
        case UInt8(ascii: "y"): self = .year2
        case UInt8(ascii: "m"): self = .month
        case UInt8(ascii: "d"): self = .day
        case UInt8(ascii: "j"): self = .dayOfYear
        case UInt8(ascii: "H"): self = .hour
        case UInt8(ascii: "M"): self = .minute
        case UInt8(ascii: "S"): self = .second
        default: return nil
        }
    }

    var letter: Character {
        switch self {
        case .year4: "Y"
        case .year2: "y"
        case .month: "m"
        case .day: "d"
        case .dayOfYear: "j"
        case .hour: "H"
        case .minute: "M"
        case .second: "S"
        }
    }

    var width: Int {
        switch self {
        case .year4: 4
        case .dayOfYear: 3
        default: 2
        }
    }

    /// A range check while matching, so a wrong digit run lets the matcher look further.
    func accepts(_ v: Int) -> Bool {
        switch self {
        case .year4, .year2: true
        case .month: (1...12).contains(v)
        case .day: (1...31).contains(v)
        case .dayOfYear: (1...366).contains(v)
        case .hour: (0...23).contains(v)
        case .minute: (0...59).contains(v)
        case .second: (0...60).contains(v)
        }
    }

    var resolution: TimeResolution {
        switch self {
        case .year4, .year2: .year
        case .month: .month
        case .day, .dayOfYear: .day
        case .hour: .hour
        case .minute: .minute
        case .second: .second
        }
    }
}

/// The finest unit a file name gives; sets the nominal length when a rule gives none.
public enum TimeResolution: Int, Sendable, Comparable {
    case second, minute, hour, day, month, year
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The instant one unit after `start`.
    func step(after start: Instant) -> Instant {
        switch self {
        case .second: return Instant(microseconds: start.microseconds + 1_000_000)
        case .minute: return Instant(microseconds: start.microseconds + 60_000_000)
        case .hour: return Instant(microseconds: start.microseconds + 3_600_000_000)
        case .day: return Instant(microseconds: start.microseconds + 86_400_000_000)
        case .month:
            let c = start.civil
            let (y, m) = c.month == 12 ? (c.year + 1, 1) : (c.year, c.month + 1)
            return Instant(year: y, month: m, day: 1) ?? start
        case .year:
            return Instant(year: start.civil.year + 1, month: 1, day: 1) ?? start
        }
    }
}

/// Time field values collected while matching a path.
public struct TimeFields: Sendable, Equatable {
    // Fixed storage (no heap): matching sets and restores these for every candidate name.
    private var y4: Int32 = -1, y2: Int32 = -1, mo: Int32 = -1, d: Int32 = -1
    private var doy: Int32 = -1, h: Int32 = -1, mi: Int32 = -1, s: Int32 = -1

    public var isEmpty: Bool { [y4, y2, mo, d, doy, h, mi, s].allSatisfy { $0 < 0 } }

    subscript(_ f: TimeField) -> Int? {
        get {
            let v: Int32 = switch f {
            case .year4: y4
            case .year2: y2
            case .month: mo
            case .day: d
            case .dayOfYear: doy
            case .hour: h
            case .minute: mi
            case .second: s
            }
            return v < 0 ? nil : Int(v)
        }
        set {
            let v = Int32(newValue ?? -1)
            switch f {
            case .year4: y4 = v
            case .year2: y2 = v
            case .month: mo = v
            case .day: d = v
            case .dayOfYear: doy = v
            case .hour: h = v
            case .minute: mi = v
            case .second: s = v
            }
        }
    }

    /// The instant the fields name, or nil when they name no valid date (Feb 30).
    public var instant: Instant? {
        let year: Int
        if let y = self[.year4] { year = y }
        else if let y = self[.year2] { year = y >= 69 ? 1900 + y : 2000 + y }  // POSIX %y
        else { return nil }
        let h = self[.hour] ?? 0, mi = self[.minute] ?? 0, s = self[.second] ?? 0
        if let doy = self[.dayOfYear] { return Instant(year: year, dayOfYear: doy, hour: h, minute: mi, second: s) }
        return Instant(year: year, month: self[.month] ?? 1, day: self[.day] ?? 1, hour: h, minute: mi, second: s)
    }
}

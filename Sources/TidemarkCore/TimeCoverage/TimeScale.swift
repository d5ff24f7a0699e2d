#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The time scales FITS `TIMESYS` names, and their conversion to UTC.
///
/// Times in a scale are carried as "labels": microseconds since 1970 counted in days of
/// 86,400 s, as if the scale's clock reading were a UTC reading. Conversion subtracts
/// the scale's offset from UTC at that moment (leap seconds for TAI and its kin).
enum TimeScale: String, Sendable {
    case utc = "UTC", tai = "TAI", tt = "TT", tdb = "TDB", gps = "GPS", tcg = "TCG", tcb = "TCB"

    /// The scale a `TIMESYS` value (or a date's `_XXX` suffix) names; nil when unknown.
    init?(fitsName raw: String) {
        switch raw.uppercased() {
        case "UTC", "UT", "GMT", "Z", "UT1": self = .utc  // UT1 is within 0.9 s of UTC
        case "TAI", "IAT": self = .tai
        case "TT", "TDT", "ET": self = .tt
        case "TDB": self = .tdb
        case "GPS": self = .gps
        case "TCG": self = .tcg
        case "TCB": self = .tcb
        default: return nil
        }
    }

    /// The UTC instant of a label in this scale.
    func toUTC(_ label: Instant) -> Instant {
        var t = label.microseconds
        switch self {
        case .utc: return label
        case .tai: break
        case .gps: t += 19_000_000
        case .tt: t -= 32_184_000
        case .tdb: t -= TimeScale.tdbMinusTT(tt: t) + 32_184_000
        case .tcg: t -= TimeScale.tcgMinusTT(t) + 32_184_000
        case .tcb:
            let tdb = t - TimeScale.tcbMinusTDB(t)
            t = tdb - TimeScale.tdbMinusTT(tt: tdb) - 32_184_000
        }
        // t is TAI now: subtract TAI−UTC in force at that UTC moment.
        return Instant(microseconds: t - TimeScale.taiMinusUTC(tai: t) * 1_000_000)
    }

    /// TDB − TT in µs, the usual two-term series (good to ~30 µs).
    static func tdbMinusTT(tt micros: Int64) -> Int64 {
        let jd = Double(micros) / 86_400_000_000 + 2_440_587.5
        let g = (357.53 + 0.985_600_3 * (jd - 2_451_545.0)) * Double.pi / 180
        return Int64(((0.001_657 * sin(g) + 0.000_014 * sin(2 * g)) * 1_000_000).rounded())
    }

    /// TCG − TT in µs (IAU 2000 B1.9: L_G from 1977-01-01T00:00:32.184 TT).
    static func tcgMinusTT(_ micros: Int64) -> Int64 {
        let since1977 = Double(micros - epoch1977TT) / 1_000_000
        return Int64((6.969_290_134e-10 * since1977 * 1_000_000).rounded())
    }

    /// TCB − TDB in µs (IAU 2006 B3: L_B and TDB0).
    static func tcbMinusTDB(_ micros: Int64) -> Int64 {
        let since1977 = Double(micros - epoch1977TT) / 1_000_000
        return Int64(((1.550_519_768e-8 * since1977 + 6.55e-5) * 1_000_000).rounded())
    }

    /// 1977-01-01T00:00:32.184 as a label.
    static let epoch1977TT: Int64 = 220_924_800_000_000 + 32_184_000

    /// TAI − UTC in whole seconds (IERS Bulletin C), for a TAI label. Before 1972 UTC
    /// ran with fractional steps; 10 s is used there, close enough for file coverage.
    static func taiMinusUTC(tai micros: Int64) -> Int64 {
        let secs = micros.floorDiv(1_000_000)
        // Table entries are UTC seconds of each change; compare in TAI (UTC + new offset).
        var i = leapSeconds.count - 1
        while i >= 0 {
            if secs >= leapSeconds[i].utc + leapSeconds[i].offset { return leapSeconds[i].offset }
            i -= 1
        }
        return 10
    }

    /// True when a label falls before 1972, where the leap-second table does not reach.
    static func beforeLeapTable(_ label: Instant) -> Bool { label.microseconds < 63_072_000_000_000 }

    /// (UTC seconds since 1970 when it took effect, TAI − UTC from then on).
    static let leapSeconds: [(utc: Int64, offset: Int64)] = [
        (63_072_000, 10), (78_796_800, 11), (94_694_400, 12), (126_230_400, 13), (157_766_400, 14),
        (189_302_400, 15), (220_924_800, 16), (252_460_800, 17), (283_996_800, 18), (315_532_800, 19),
        (362_793_600, 20), (394_329_600, 21), (425_865_600, 22), (489_024_000, 23), (567_993_600, 24),
        (631_152_000, 25), (662_688_000, 26), (709_948_800, 27), (741_484_800, 28), (773_020_800, 29),
        (820_454_400, 30), (867_715_200, 31), (915_148_800, 32), (1_136_073_600, 33), (1_230_768_000, 34),
        (1_341_100_800, 35), (1_435_708_800, 36), (1_483_228_800, 37),
    ]
}

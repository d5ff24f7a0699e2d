import Foundation

/// Sizes and lengths of time for people, as the CLI's tables and the status page print them.
public enum HumanUnits {
    /// `512 B`, `3.4 MB`, `120 GB` (decimal units).
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var v = Double(n), i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        return i == 0 ? "\(n) B" : String(format: v >= 100 ? "%.0f %@" : "%.1f %@", v, units[i])
    }

    /// A length of time: `45 s`, `12 min`, `4.0 h`, `3.5 d`.
    public static func span(_ microseconds: Int64) -> String {
        let s = Double(microseconds) / 1e6
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.0f min", s / 60) }
        if s < 172_800 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86_400)
    }
}

import Foundation

// How plans word sizes, ages and percentages in their reasons and notes (the library
// cannot use the command's formatting).

func bytesText(_ n: Int64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"]
    var v = Double(n), i = 0
    while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
    return i == 0 ? "\(n) B" : String(format: v >= 100 ? "%.0f %@" : "%.1f %@", v, units[i])
}

func durationText(_ us: Int64) -> String {
    let s = us / 1_000_000
    if s % 604_800 == 0 { return "\(s / 604_800)w" }
    if s % 86_400 == 0 { return "\(s / 86_400)d" }
    if s % 3600 == 0 { return "\(s / 3600)h" }
    if s % 60 == 0 { return "\(s / 60)m" }
    return "\(s)s"
}

func percentText(_ fraction: Double) -> String {
    let p = fraction * 100
    return p == p.rounded() ? "\(Int(p))%" : String(format: "%.1f%%", p)
}

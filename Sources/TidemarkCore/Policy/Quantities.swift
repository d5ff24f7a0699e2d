import Foundation

/// Sizes and percentages as people write them in policies and on the command line.
public enum Quantity {
    /// A percentage that cannot be used, said so a person knows what to write instead.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The largest size taken, in bytes (9 EB): sums of sizes stay inside Int64.
    static let largestBytes = 9e18

    /// `100G`, `1.5T`, `500M`, `2GiB`, `123` (bytes). K, M, G, T, P are powers of 1000
    /// (as `df -H`); Ki, Mi, Gi, Ti, Pi powers of 1024. A trailing `B` is allowed.
    public static func bytes(_ text: String) -> Int64? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.uppercased().hasSuffix("B") { t.removeLast() }
        let digits = t.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
        guard !digits.isEmpty, let value = Double(digits) else { return nil }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k": scale = 1e3
        case "m": scale = 1e6
        case "g": scale = 1e9
        case "t": scale = 1e12
        case "p": scale = 1e15
        case "ki": scale = 1024
        case "mi": scale = 1024 * 1024
        case "gi": scale = 1024 * 1024 * 1024
        case "ti": scale = 1024 * 1024 * 1024 * 1024
        case "pi": scale = 1024 * 1024 * 1024 * 1024 * 1024
        default: return nil
        }
        return bytes(value: value * scale)
    }

    /// Megabytes (10^6 bytes, `iss_catalog.py --size`) as bytes; nil unless finite, not
    /// negative and at most 9 EB.
    public static func bytes(megabytes: Double) -> Int64? { bytes(value: megabytes * 1e6) }

    private static func bytes(value: Double) -> Int64? {
        guard value.isFinite, value >= 0, value < largestBytes else { return nil }
        return Int64(value.rounded())
    }

    /// `80%` → 0.80, or `80` (a bare number of at least 1); nil when it is not a
    /// percentage `percentage(_:)` takes.
    public static func percent(_ text: String) -> Double? { try? percentage(text) }

    /// `80%` → 0.80; a bare number of at least 1 (`80`) is a percentage too. A bare number
    /// below 1 (`0.9`) is refused: it reads as a fraction, and taken as 0.9 % it would
    /// delete nearly everything.
    public static func percentage(_ text: String) throws(Invalid) -> Double {
        var t = text.trimmingCharacters(in: .whitespaces)
        let marked = t.hasSuffix("%")
        if marked { t.removeLast() }
        guard let v = Double(t.trimmingCharacters(in: .whitespaces)), v.isFinite else {
            throw Invalid(description: "'\(text)' is not a percentage; write e.g. 80%")
        }
        return marked ? try fraction(percent: v, text: text) : try percentage(number: v)
    }

    /// A percentage given as a bare number (a TOML number, `--until-usage 80`): at least
    /// 1; below 1 it reads as a fraction and is refused.
    public static func percentage(number v: Double) throws(Invalid) -> Double {
        guard v.isFinite else { throw Invalid(description: "'\(v)' is not a percentage; write e.g. 80%") }
        let text = v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
        if v >= 0 && v < 1 {
            throw Invalid(description: "'\(text)' has no '%' and is below 1: write \"\(fractionAsPercent(v))%\" for \(fractionAsPercent(v)) percent, "
                          + "or \"\(text)%\" if under one percent is meant")
        }
        return try fraction(percent: v, text: text)
    }

    private static func fraction(percent v: Double, text: String) throws(Invalid) -> Double {
        guard v >= 0, v <= 100 else { throw Invalid(description: "'\(text)' is not a percentage between 0% and 100%") }
        return v / 100
    }

    /// 0.9 → "90", 0.855 → "85.5".
    private static func fractionAsPercent(_ v: Double) -> String {
        let p = (v * 100 * 1000).rounded() / 1000
        return p == p.rounded() ? String(Int(p)) : String(p)
    }
}

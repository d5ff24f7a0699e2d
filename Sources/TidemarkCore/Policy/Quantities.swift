import Foundation

/// Sizes and percentages as people write them in policies and on the command line.
public enum Quantity {
    /// `100G`, `1.5T`, `500M`, `2GiB`, `123` (bytes). K, M, G, T, P are powers of 1000
    /// (as `df -H`); Ki, Mi, Gi, Ti, Pi powers of 1024. A trailing `B` is allowed.
    public static func bytes(_ text: String) -> Int64? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.uppercased().hasSuffix("B") { t.removeLast() }
        let digits = t.prefix(while: { $0.isNumber || $0 == "." })
        guard !digits.isEmpty, let value = Double(digits), value >= 0 else { return nil }
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
        let bytes = value * scale
        guard bytes < 9e18 else { return nil }
        return Int64(bytes.rounded())
    }

    /// `80%` or `80` → 0.80; nil unless within 0…100.
    public static func percent(_ text: String) -> Double? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") { t.removeLast() }
        guard let v = Double(t.trimmingCharacters(in: .whitespaces)), v >= 0, v <= 100 else { return nil }
        return v / 100
    }
}

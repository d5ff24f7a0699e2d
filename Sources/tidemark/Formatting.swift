import TidemarkCore

/// Human units and tables for terminal output.
enum Format {
    static func bytes(_ n: Int64) -> String { HumanUnits.bytes(n) }

    static func count(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, c) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 && c != "-" { out.append(",") }
            out.append(c)
        }
        return String(out.reversed())
    }

    static func time(_ t: Instant?) -> String {
        guard let t else { return "-" }
        // Whole seconds in tables; --json keeps the fractions.
        return Instant(microseconds: t.microseconds.floorDivided(by: 1_000_000) * 1_000_000).iso8601
    }

    static func seconds(_ s: Double) -> String {
        s < 10 ? String(format: "%.2f s", s) : s < 120 ? String(format: "%.0f s", s) : String(format: "%dm%02ds", Int(s) / 60, Int(s) % 60)
    }

    /// A length of time for people: `45 s`, `12 min`, `4.0 h`, `3.5 d`.
    static func span(_ microseconds: Int64) -> String { HumanUnits.span(microseconds) }

    /// Left-aligned columns, numbers right-aligned, two spaces apart.
    static func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, c) in cells.enumerated() {
                let pad = String(repeating: " ", count: widths[i] - c.count)
                parts.append(i == cells.count - 1 && !rightAligned.contains(i) ? c : rightAligned.contains(i) ? pad + c : c + pad)
            }
            return parts.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}

import Foundation

extension Int64 {
    func floorDivided(by d: Int64) -> Int64 { self >= 0 ? self / d : -((-self + d - 1) / d) }
}

import Foundation

/// Draws coverage rows as a timeline: one row per stream, live data as bars, gaps in a
/// warning colour, gone data hatched, a UTC time axis with ticks a person would choose.
public struct TimelineSVG {
    public var title: String
    public var window: Span
    public var rows: [CoverageRow]
    public var width = 1200.0

    public init(title: String, window: Span, rows: [CoverageRow]) {
        self.title = title; self.window = window; self.rows = rows
    }

    private let labelWidth = 260.0, percentWidth = 60.0, rowHeight = 22.0, barHeight = 14.0
    private let top = 64.0, axisHeight = 40.0

    public func render() -> String {
        let plotLeft = labelWidth, plotRight = width - percentWidth - 10
        let height = top + Double(rows.count) * rowHeight + axisHeight + 30
        let span = Double(max(1, window.length))
        func x(_ t: Int64) -> Double { plotLeft + (Double(t - window.start) / span) * (plotRight - plotLeft) }
        var s = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" role="img" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <title>\(esc(title))</title>
            <defs><pattern id="gone" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="6" height="6" fill="#f6d7a7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8a6d3b" stroke-width="2"/></pattern></defs>
            <rect width="100%" height="100%" fill="#ffffff"/>
            <text x="12" y="24" font-size="16" font-weight="bold">\(esc(title))</text>
            <text x="12" y="44" fill="#555">\(esc(Instant(microseconds: window.start).iso8601)) – \(esc(Instant(microseconds: window.end).iso8601)) (UTC)</text>
            <g font-size="11"><rect x="\(f(width - 430))" y="14" width="14" height="10" fill="#2f6f9f"/><text x="\(f(width - 410))" y="23">data</text>
            <rect x="\(f(width - 360))" y="14" width="14" height="10" fill="#f0ad4e"/><text x="\(f(width - 340))" y="23">gap</text>
            <rect x="\(f(width - 300))" y="14" width="14" height="10" fill="url(#gone)"/><text x="\(f(width - 280))" y="23">gone (missing or deleted)</text></g>

            """
        // Grid lines and the axis.
        let ticks = Self.ticks(window)
        let axisY = top + Double(rows.count) * rowHeight + 6
        s += "<g class=\"axis\" stroke=\"#ddd\">\n"
        for t in ticks.times { s += "<line x1=\"\(f(x(t)))\" y1=\"\(f(top - 4))\" x2=\"\(f(x(t)))\" y2=\"\(f(axisY))\"/>\n" }
        s += "</g>\n<g class=\"axis-labels\" fill=\"#333\" font-size=\"11\" text-anchor=\"middle\">\n"
        for t in ticks.times { s += "<text x=\"\(f(x(t)))\" y=\"\(f(axisY + 16))\">\(esc(ticks.label(t)))</text>\n" }
        s += "</g>\n"
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowHeight
            let label = row.stream.map { $0.isEmpty ? row.category : "\(row.category) / \($0)" } ?? row.category
            s += "<g class=\"row\" data-category=\"\(esc(row.category))\" data-stream=\"\(esc(row.stream ?? ""))\">\n"
            if i % 2 == 1 { s += "<rect x=\"0\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(rowHeight))\" fill=\"#f7f7f7\"/>\n" }
            s += "<text x=\"12\" y=\"\(f(y + 15))\">\(esc(label))</text>\n"
            let barY = y + (rowHeight - barHeight) / 2
            for g in row.gaps { s += rect("gap", x(g.start), barY, x(g.end) - x(g.start), "#f0ad4e", g) }
            for g in row.gone { s += rect("gone", x(g.start), barY, x(g.end) - x(g.start), "url(#gone)", g) }
            for c in row.covered { s += rect("data", x(c.start), barY, x(c.end) - x(c.start), "#2f6f9f", c) }
            s += "<text x=\"\(f(width - 12))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(String(format: "%.1f%%", row.fraction * 100))</text>\n</g>\n"
        }
        s += "</svg>\n"
        return s
    }

    private func rect(_ cls: String, _ x: Double, _ y: Double, _ w: Double, _ fill: String, _ span: Span) -> String {
        // Anything at all gets at least half a pixel, so a short gap is still seen.
        "<rect class=\"\(cls)\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(0.5, w)))\" height=\"\(f(barHeight))\" fill=\"\(fill)\">"
            + "<title>\(cls) \(esc(Instant(microseconds: span.start).iso8601)) – \(esc(Instant(microseconds: span.end).iso8601))</title></rect>\n"
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    private func esc(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: if ch.value >= 0x20 || ch == "\t" { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// Round tick times (minutes … years) aiming at 6–12 ticks, with labels at that scale.
    static func ticks(_ w: Span) -> (times: [Int64], label: (Int64) -> String) {
        let minute: Int64 = 60_000_000, hour = 60 * minute, day = 24 * hour
        let steps: [(Int64, Int)] = [(minute, 0), (5 * minute, 0), (15 * minute, 0), (30 * minute, 0), (hour, 0), (3 * hour, 0),
                                     (6 * hour, 0), (12 * hour, 0), (day, 0), (2 * day, 0), (7 * day, 0),
                                     (0, 1), (0, 3), (0, 6), (0, 12), (0, 24), (0, 60), (0, 120)]
        let length = max(1, w.length)
        let chosen = steps.first { s in
            let approx = s.0 > 0 ? s.0 : Int64(s.1) * 30 * day
            return length / approx <= 12
        } ?? (0, 120)
        var times: [Int64] = []
        if chosen.0 > 0 {
            var t = (w.start.floorDiv(chosen.0) + 1) * chosen.0
            if chosen.0 == 7 * day {  // weeks start on Monday (1970-01-01 was a Thursday)
                t = ((w.start - 4 * day).floorDiv(chosen.0) + 1) * chosen.0 + 4 * day
            }
            while t < w.end { times.append(t); t += chosen.0 }
        } else {
            let c = Instant(microseconds: w.start).civil
            var months = c.year * 12 + (c.month - 1)
            months = (months / chosen.1 + 1) * chosen.1
            while true {
                guard let t = Instant(year: months / 12, month: months % 12 + 1, day: 1)?.microseconds, t < w.end else { break }
                if t > w.start { times.append(t) }
                months += chosen.1
            }
        }
        let label: (Int64) -> String = { t in
            let c = Instant(microseconds: t).civil
            if chosen.0 == 0 { return chosen.1 >= 12 ? String(c.year) : String(format: "%04d-%02d", c.year, c.month) }
            if chosen.0 >= day { return String(format: "%04d-%02d-%02d", c.year, c.month, c.day) }
            return String(format: "%02d-%02d %02d:%02d", c.month, c.day, c.hour, c.minute)
        }
        return (times, label)
    }
}

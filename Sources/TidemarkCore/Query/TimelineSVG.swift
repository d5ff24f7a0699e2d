import Foundation

/// Draws coverage rows as a timeline: one row per stream, live data as bars, gaps in a
/// warning colour, gone data hatched, a UTC time axis with ticks a person would choose.
public struct TimelineSVG {
    public var title: String
    public var window: Span
    public var rows: [CoverageRow]
    public var width = 1200.0
    /// Runs of spans each narrower than a pixel drawn as one rect, as opaque as they cover
    /// (the status page: a month of 30-second exposures is thousands of spans a row, which
    /// no screen shows apart); false: every span its own rect.
    public var poolsNarrowSpans = false

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
            s += spans("gap", row.gaps, "#f0ad4e", barY, x)
            s += spans("gone", row.gone, "url(#gone)", barY, x)
            s += spans("data", row.covered, "#2f6f9f", barY, x)
            s += "<text x=\"\(f(width - 12))\" y=\"\(f(y + 15))\" text-anchor=\"end\">\(String(format: "%.1f%%", row.fraction * 100))</text>\n</g>\n"
        }
        s += "</svg>\n"
        return s
    }

    /// The rects of one kind of span, in time order (pooled when `poolsNarrowSpans`).
    private func spans(_ cls: String, _ list: [Span], _ fill: String, _ y: Double, _ x: (Int64) -> Double) -> String {
        guard poolsNarrowSpans else { return list.map { rect(cls, x($0.start), y, x($0.end) - x($0.start), fill, $0) }.joined() }
        var s = ""
        // Narrow spans within a pixel of each other: their extent, how many, the time they cover.
        var pool: (span: Span, count: Int, covered: Int64)?
        func flush() {
            guard let p = pool else { return }
            if p.count == 1 {
                s += rect(cls, x(p.span.start), y, x(p.span.end) - x(p.span.start), fill, p.span)
            } else {
                let fraction = Double(p.covered) / Double(max(1, p.span.length))
                s += rect(cls, x(p.span.start), y, x(p.span.end) - x(p.span.start), fill, p.span,
                          pooled: (p.count, fraction, 0.3 + 0.7 * fraction))
            }
            pool = nil
        }
        for span in list {
            let narrow = x(span.end) - x(span.start) < 1
            if let p = pool, narrow, x(span.start) - x(p.span.end) < 1 {
                pool = (Span(p.span.start, max(p.span.end, span.end)), p.count + 1, p.covered + span.length)
                continue
            }
            flush()
            if narrow { pool = (span, 1, span.length) } else { s += rect(cls, x(span.start), y, x(span.end) - x(span.start), fill, span) }
        }
        flush()
        return s
    }

    /// One rect; `pooled`: it stands for that many spans, covering that fraction of it, drawn that opaque.
    private func rect(_ cls: String, _ x: Double, _ y: Double, _ w: Double, _ fill: String, _ span: Span,
                      pooled: (count: Int, fraction: Double, opacity: Double)? = nil) -> String {
        // Anything at all gets at least half a pixel, so a short gap is still seen.
        "<rect class=\"\(cls)\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(max(0.5, w)))\" height=\"\(f(barHeight))\" fill=\"\(fill)\""
            + (pooled.map { " fill-opacity=\"\(String(format: "%.2f", $0.opacity))\"" } ?? "") + ">"
            + "<title>\(cls) \(pooled.map { "\($0.count) spans covering \(String(format: "%.1f%%", $0.fraction * 100)) of " } ?? "")"
            + "\(Instant(microseconds: span.start).iso8601) – \(Instant(microseconds: span.end).iso8601)</title></rect>\n"  // digits, - : T Z: nothing to escape
    }

    private func f(_ v: Double) -> String { Self.tenths(v) }

    /// `String(format: "%.1f", v)`, without its cost (most of a page of thousands of rects):
    /// away from a tie the rounded product is exact; near one (x.x5), printf itself decides.
    static func tenths(_ v: Double) -> String {
        let t = v * 10
        guard abs(t) < 1e9, abs(abs(t - t.rounded(.towardZero)) - 0.5) > 1e-6 else { return String(format: "%.1f", v) }
        let n = Int(t.rounded()), a = abs(n)
        return (v.sign == .minus ? "-" : "") + String(a / 10) + "." + String(a % 10)
    }

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

import Foundation
import TidemarkCore

/// The status page at `/`: one screen for a person, plain HTML and inline SVG, no script;
/// it reloads itself (`<meta http-equiv="refresh">`).
enum StatusPage {
    /// What `/` takes: the window its timelines draw.
    static let parameters = [
        Parameter(name: "days", kind: .integer(1...3660), summary: "Days of coverage drawn (default: serve's --days)."),
        Parameter(name: "until", kind: .time, summary: "The timelines end at this time (default now): a past window of the catalog."),
    ]

    /// The timelines' days and end (nil: now) that `q` asks for.
    static func window(_ q: QueryParameters, days fallback: Int) throws(APIError) -> (days: Int, until: Instant?) {
        (try q.integer("days", in: 1...3660) ?? fallback, try q.time("until"))
    }

    static func render(_ r: StatusReport, refreshSeconds: Int) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <title>Tidemark — \(esc(r.catalog))</title>
            <style>
            body{font:13px/1.35 Helvetica,Arial,sans-serif;margin:12px 18px;color:#222;background:#fff}
            h1{font-size:18px;margin:0 0 2px}h2{font-size:15px;margin:14px 0 4px;border-bottom:1px solid #ccc}h3{font-size:13px;margin:8px 0 3px}
            .sub{color:#666}.grid{display:grid;grid-template-columns:1fr 1fr;gap:4px 24px}.grid3{display:grid;grid-template-columns:1fr 1fr 2fr;gap:4px 24px}
            .timeline svg{width:100%;height:auto;max-height:200px;border:1px solid #eee}
            table{border-collapse:collapse}td,th{padding:1px 8px 1px 0;text-align:left;vertical-align:top}th{color:#555;font-weight:normal}
            .num{text-align:right}.t{white-space:nowrap}.bar{position:relative;width:260px;height:14px;background:#eee;border:1px solid #bbb;display:inline-block;vertical-align:middle}
            .fill{position:absolute;left:0;top:0;bottom:0;background:#2f6f9f}.fill.over{background:#d9534f}.fill.warn{background:#f0ad4e}
            .mark{position:absolute;top:-3px;bottom:-3px;width:2px}.mark.high{background:#d9534f}.mark.low{background:#5cb85c}
            .bad{color:#b52b27}.warnc{color:#8a5a00}.ok{color:#2d7d2d}.none{color:#888}
            </style></head><body>
            <h1>Tidemark status</h1>
            <div class="sub">catalog \(esc(r.catalog)) · as of \(time(r.now)) · timelines of \(r.until == nil ? "the last " : "")\(r.days) day\(r.days == 1 ? "" : "s")\(r.until.map { " to " + time($0) } ?? "") · reloads every \(refreshSeconds) s</div>

            """
        for p in r.problems { h += "<div class=\"bad\">\(esc(p))</div>\n" }
        if r.contexts.isEmpty { h += "<p class=\"none\">The catalog holds no context yet: scan one (`tidemark scan CONTEXT`).</p>\n" }
        for c in r.contexts { h += context(c, now: r.now) }
        h += "<div class=\"grid3\"><div>\n<h2>Copies, requests, dependents</h2>\n"
        h += counts(r.queues, groupTitle: "QUEUE")
        h += "</div><div>\n<h2>Datasets by state</h2>\n"
        h += counts(r.datasets, groupTitle: "CONTEXT CATEGORY")
        h += "</div><div>\n<h2>Last faults</h2>\n"
        h += faults(r)
        h += "</div></div>\n"
        h += "</body></html>\n"
        return h
    }

    private static func context(_ c: StatusReport.Context, now: Instant) -> String {
        var h = "<h2 class=\"context\">\(esc(c.name))</h2>\n<div class=\"timeline\">\(c.timeline)</div>\n<div class=\"grid\"><div>\n<h3>Roots</h3>\n<table>\n"
        for root in c.roots { h += rootRow(root) }
        if c.roots.isEmpty { h += "<tr><td class=\"none\">none</td></tr>\n" }
        h += "</table></div><div>\n<h3>Last runs</h3>\n<table>\n"
        if let s = c.lastScan {
            h += "<tr><th>scan</th><td>\(s.id)</td><td class=\"\(s.status == .complete ? "ok" : "bad")\">\(s.status.rawValue)</td>"
                + "<td class=\"t\">\(time(s.finished ?? s.started))</td><td class=\"age\">\(age(now, s.finished ?? s.started))</td>"
                + "<td>\(s.files.map { "\($0) files" } ?? "")\(s.errors.map { $0 > 0 ? ", \($0) errors" : "" } ?? "")</td></tr>\n"
        } else {
            h += "<tr><th>scan</th><td colspan=\"5\" class=\"none\">none</td></tr>\n"
        }
        if let p = c.lastRun {
            h += "<tr><th>policy run</th><td>\(p.id)</td><td class=\"\(p.status == .done ? "ok" : p.status == .faults ? "warnc" : "bad")\">\(p.status.rawValue)</td>"
                + "<td class=\"t\">\(time(p.finished ?? p.started))</td><td class=\"age\">\(age(now, p.finished ?? p.started))</td>"
                + "<td>\(esc(p.policy)): \(p.done) done, \(p.skipped) skipped, \(p.failed) failed</td></tr>\n"
        } else {
            h += "<tr><th>policy run</th><td colspan=\"5\" class=\"none\">none</td></tr>\n"
        }
        return h + "</table></div></div>\n"
    }

    private static func rootRow(_ root: StatusReport.Root) -> String {
        guard let used = root.used else {
            return "<tr><td>\(esc(root.path))</td><td colspan=\"2\" class=\"bad\">\(esc(root.problem ?? "unreadable"))</td></tr>\n"
        }
        let level = root.high.map { used >= $0 ? "over" : used >= (root.low ?? $0) ? "warn" : "" } ?? ""
        var bar = "<span class=\"bar disk\" title=\"\(pct(used)) used\"><span class=\"fill \(level)\" style=\"width:\(pct(used))\"></span>"
        if let low = root.low { bar += "<span class=\"mark low\" style=\"left:\(pct(low))\" title=\"low watermark \(pct(low))\"></span>" }
        if let high = root.high { bar += "<span class=\"mark high\" style=\"left:\(pct(high))\" title=\"high watermark \(pct(high))\"></span>" }
        bar += "</span>"
        let marks = root.high.map { " (watermarks \(pct(root.low ?? $0)) – \(pct($0)))" } ?? " (no watermark)"
        return "<tr><td>\(esc(root.path))</td><td>\(bar)</td><td>\(pct(used)) used, \(bytes(root.availableBytes)) free\(marks)</td></tr>\n"
    }

    /// One row per group, its states and counts in a line: `new 6 · merged 1`.
    private static func counts(_ counts: [StatusReport.Count], groupTitle: String) -> String {
        if counts.isEmpty { return "<p class=\"none counts\">none</p>\n" }
        var groups: [String] = []
        for c in counts where !groups.contains(c.group) { groups.append(c.group) }
        var h = "<table class=\"counts\"><tr><th>\(groupTitle)</th><th>BY STATE</th></tr>\n"
        for g in groups {
            let states = counts.filter { $0.group == g }.map { "\(esc($0.state)) <b class=\"count\">\($0.count)</b>" }.joined(separator: " · ")
            h += "<tr><td>\(esc(g))</td><td>\(states)</td></tr>\n"
        }
        return h + "</table>\n"
    }

    private static func faults(_ r: StatusReport) -> String {
        if r.faults.isEmpty { return "<p class=\"none\">none</p>\n" }
        var h = "<table class=\"faults\">\n"
        for f in r.faults {
            h += "<tr><td><span class=\"t\">\(time(f.at))</span><br><span class=\"sub\">\(esc(f.what))</span></td><td class=\"bad\">\(esc(f.code))</td>"
                + "<td class=\"fault-message\">\(esc(brief(f.message)))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// A message's lines in one, cut to a length a table cell can show.
    private static func brief(_ message: String) -> String {
        let line = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " — ")
        return line.count > 160 ? String(line.prefix(159)) + "…" : line
    }

    private static func pct(_ f: Double) -> String { String(format: "%.1f%%", f * 100) }

    private static func bytes(_ n: Int64) -> String { HumanUnits.bytes(n) }

    /// How long before `now` it was: `4.0 h ago` (a time after `now`, as when serving `--now` a past time, says so).
    private static func age(_ now: Instant, _ then: Instant) -> String {
        let d = now.microseconds - then.microseconds
        return d >= 0 ? HumanUnits.span(d) + " ago" : HumanUnits.span(-d) + " later"
    }

    /// A time to the second, for people.
    private static func time(_ t: Instant) -> String {
        esc(Instant(microseconds: t.microseconds - ((t.microseconds % 1_000_000) + 1_000_000) % 1_000_000).iso8601)
    }

    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}

import Foundation

/// A Nagios plugin's state; its raw value is the plugin's exit status.
public enum CheckState: Int32, Sendable, Comparable, CaseIterable {
    case ok = 0, warning = 1, critical = 2, unknown = 3

    /// The word Nagios shows.
    public var word: String {
        switch self {
        case .ok: "OK"
        case .warning: "WARNING"
        case .critical: "CRITICAL"
        case .unknown: "UNKNOWN"
        }
    }

    public static func < (a: CheckState, b: CheckState) -> Bool { a.rawValue < b.rawValue }
}

/// One performance datum in Nagios form: `label=value[UOM];warn;crit;min;max`.
public struct PerfDatum: Sendable, Equatable {
    public var label: String
    public var value: Double
    public var unit: String
    public var warning: Double?
    public var critical: Double?
    public var min: Double?
    public var max: Double?

    public init(_ label: String, _ value: Double, unit: String = "", warning: Double? = nil, critical: Double? = nil,
                min: Double? = nil, max: Double? = nil) {
        self.label = label; self.value = value; self.unit = unit; self.warning = warning; self.critical = critical
        self.min = min; self.max = max
    }

    /// The datum as Nagios reads it; a label with spaces or `=` is quoted.
    public var text: String {
        let quoted = label.contains(where: { $0 == " " || $0 == "=" || $0 == "'" })
            ? "'" + label.replacingOccurrences(of: "'", with: "''") + "'" : label
        var fields = [number(value) + unit, warning.map(number) ?? "", critical.map(number) ?? "", min.map(number) ?? "", max.map(number) ?? ""]
        while fields.count > 1 && fields.last == "" { fields.removeLast() }
        return quoted + "=" + fields.joined(separator: ";")
    }

    private func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.3f", v)
    }
}

/// What a check found: the state, one line of text, and performance data.
public struct CheckResult: Sendable {
    /// What was checked, in capitals: `SCAN-AGE`, `ARRIVAL`.
    public var what: String
    public var state: CheckState
    public var text: String
    public var perfdata: [PerfDatum]

    public init(what: String, state: CheckState, text: String, perfdata: [PerfDatum] = []) {
        self.what = what; self.state = state; self.text = text; self.perfdata = perfdata
    }

    /// The plugin's one line: `TIDEMARK <WHAT> <STATE> - text | perfdata`. Newlines and `|`
    /// in the text (a path, a message) would break it for Nagios and are replaced.
    public var line: String {
        let clean = text.map { $0 == "\n" || $0 == "\r" ? " " : $0 == "|" ? "/" : String($0) }.joined()
        let perf = perfdata.isEmpty ? "" : " | " + perfdata.map(\.text).joined(separator: " ")
        return "TIDEMARK \(what) \(state.word) - \(clean)\(perf)"
    }
}

/// A warning and a critical threshold on a value that is bad when high (an age, a count, a
/// percentage): at or over `critical` is CRITICAL, else at or over `warning` is WARNING.
public struct Thresholds: Sendable {
    public var warning: Double?
    public var critical: Double?

    public init(warning: Double?, critical: Double?) { self.warning = warning; self.critical = critical }

    /// The state of `value` against the thresholds.
    public func state(_ value: Double) -> CheckState {
        if let critical, value >= critical { return .critical }
        if let warning, value >= warning { return .warning }
        return .ok
    }
}

/// A check that cannot be made (unreadable catalog, unknown context, bad argument): UNKNOWN.
public struct CheckUnknown: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A length of time for a check's line: `45s`, `12m`, `26h 3m`, `3d 4h`.
public func checkAge(_ microseconds: Int64) -> String {
    let s = max(0, microseconds / 1_000_000)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m" }
    if s < 86_400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
    return "\(s / 86_400)d \(s % 86_400 / 3600)h"
}

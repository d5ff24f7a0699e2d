import Foundation

/// What a context definition says about requests: per category, the command that
/// regenerates a purged file (`[[update]]`), the optional `request_job` a request runs once
/// every file it needs is back, and how long a finished request still pins its files.
///
/// ```toml
/// pin_grace = "1d"
/// request_job = ["pstamp-job", "--request", "{request}", "{files}"]
/// request_job_timeout = "1h"
///
/// [[update]]
/// category = "warp"
/// command = ["ipp-update", "--stage", "warp", "--component", "{stream}", "--path", "{path}",
///            "--start", "{start}", "--end", "{end}"]
/// timeout = "1h"
/// jobs = 2
/// ```
/// Commands are argv arrays, never shell strings; each element may hold placeholders.
public struct RequestSettings: Sendable {
    /// The update command of each category that has one.
    public var updates: [String: UpdateCommand]
    /// Run once a request is full; nil for none.
    public var job: ArgvTemplate?
    /// Seconds the job may run.
    public var jobTimeout: Double
    /// Microseconds a full request still pins its files.
    public var pinGrace: Int64

    /// One day: a finished request's files stay out of plans this long by default.
    public static let defaultPinGrace: Int64 = 86_400_000_000
    /// An hour: update commands and jobs that name no timeout.
    public static let defaultTimeout: Double = 3600

    /// No update commands, no job, the default grace.
    public init(updates: [String: UpdateCommand] = [:], job: ArgvTemplate? = nil, jobTimeout: Double = defaultTimeout,
                pinGrace: Int64 = defaultPinGrace) {
        self.updates = updates; self.job = job; self.jobTimeout = jobTimeout; self.pinGrace = pinGrace
    }

    /// The keys of a definition's top level that these settings read.
    static let topKeys = ["update", "pin_grace", "request_job", "request_job_timeout"]

    /// Reads the settings from a definition's top level; malformed ones are refused with file, line and key.
    static func parse(_ top: TOMLDocument.Table) throws(DefinitionError) -> RequestSettings {
        var settings = RequestSettings()
        settings.pinGrace = try top.duration("pin_grace") ?? defaultPinGrace
        if top.has("request_job") {
            settings.job = try ArgvTemplate.parse(top, "request_job", placeholders: ArgvTemplate.jobPlaceholders)
        }
        if let t = try top.duration("request_job_timeout") { settings.jobTimeout = Double(t) / 1e6 }
        for t in try top.tables("update") {
            try t.rejectUnknownKeys(allowed: ["category", "command", "timeout", "jobs"])
            guard let categories = try t.strings("category"), !categories.isEmpty else {
                var e = t.error("category", "\(t.path) needs 'category', the category (or categories) whose purged files this command regenerates")
                e.line = e.line ?? t.error(nil, "").line ?? 1
                throw e
            }
            guard t.has("command") else {
                var e = t.error("command", "\(t.path) needs 'command', an argv array such as [\"ipp-update\", \"--path\", \"{path}\"]")
                e.line = e.line ?? t.error(nil, "").line ?? 1
                throw e
            }
            let argv = try ArgvTemplate.parse(t, "command", placeholders: ArgvTemplate.updatePlaceholders)
            let timeout = try t.duration("timeout").map { Double($0) / 1e6 } ?? defaultTimeout
            let jobs = try t.int("jobs") ?? 1
            guard (1...256).contains(jobs) else { throw t.error("jobs", "must be between 1 and 256, not \(jobs)") }
            for c in categories {
                guard settings.updates[c] == nil else { throw t.error("category", "category '\(c)' has an update command already") }
                settings.updates[c] = UpdateCommand(argv: argv, timeout: timeout, jobs: jobs)
            }
        }
        return settings
    }
}

/// The command that regenerates a purged file of a category.
public struct UpdateCommand: Sendable {
    public var argv: ArgvTemplate
    /// Seconds it may run before it is stopped (fault 6).
    public var timeout: Double
    /// How many of it one `request run` runs at once.
    public var jobs: Int

    /// A command as a definition gives it.
    public init(argv: ArgvTemplate, timeout: Double, jobs: Int) { self.argv = argv; self.timeout = timeout; self.jobs = jobs }
}

/// An argv array whose elements may hold `{name}` placeholders, filled in per run; an
/// element that is exactly `{files}` becomes one argument per file.
public struct ArgvTemplate: Sendable, Hashable {
    public var elements: [String]

    /// A template of these elements, unchecked.
    public init(_ elements: [String]) { self.elements = elements }

    /// What an update command may name: the file, its stream, its needed coverage, its category and root.
    public static let updatePlaceholders: Set<String> = ["path", "stream", "start", "end", "category", "root"]
    /// What a request's job may name.
    public static let jobPlaceholders: Set<String> = ["request", "label", "context", "files"]

    /// The argv with `values` filled in; `files` replaces an element that is exactly `{files}`.
    public func expand(_ values: [String: String], files: [String] = []) -> [String] {
        elements.flatMap { e -> [String] in
            if e == "{files}" { return files }
            var out = e
            for (k, v) in values { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
            return [out]
        }
    }

    /// Reads an argv array at `key`: a non-empty array of strings, a program first, with only
    /// known placeholders; a string (a shell command line) is refused.
    static func parse(_ t: TOMLDocument.Table, _ key: String, placeholders: Set<String>) throws(DefinitionError) -> ArgvTemplate {
        guard let v = t.table[key] else { throw t.error(key, "is missing") }
        if v.string != nil {
            throw t.error(key, "must be an argv array such as [\"ipp-update\", \"--path\", \"{path}\"], not a string: commands never go through a shell")
        }
        guard let a = v.array else { throw t.error(key, "expected an array of strings, found \(v.type)") }
        var out: [String] = []
        for (i, item) in a.enumerated() {
            guard let s = item.string else { throw t.elementError(key, i, "expected strings in the array, found \(item.type)") }
            if i == 0 && (s.isEmpty || s.contains("{")) {
                throw t.elementError(key, 0, "the first element must name the program (no placeholder), found '\(s)'")
            }
            for name in Self.placeholderNames(s) where !placeholders.contains(name) {
                throw t.elementError(key, i, "unknown placeholder {\(name)}; known: \(placeholders.sorted().map { "{\($0)}" }.joined(separator: " "))")
            }
            if s.contains("{files}") && s != "{files}" {
                throw t.elementError(key, i, "{files} must be an element of its own (it becomes one argument per file)")
            }
            out.append(s)
        }
        guard !out.isEmpty else { throw t.error(key, "must name at least the program") }
        return ArgvTemplate(out)
    }

    /// The `{name}`s in `s`.
    static func placeholderNames(_ s: String) -> [String] {
        var names: [String] = []
        var rest = s[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

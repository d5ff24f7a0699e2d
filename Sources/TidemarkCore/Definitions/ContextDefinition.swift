import Foundation

/// Where a file's time coverage may come from, in the order a rule lists them.
public enum TimeSource: String, Sendable, CaseIterable, Codable {
    /// strftime fields in the path, with the rule's nominal length.
    case name
    /// A FITS header keyword set (DATE-OBS, MJD-OBS, TSTART…).
    case fits
    /// netCDF time coordinate, ACDD attributes or ISFS base_time.
    case netcdf
    /// A NIDAS raw archive: its header is checked and kept; it gives no time.
    case nidas
    /// A NIDAS raw archive's first and last sample time tags: the true coverage of short
    /// or cut-off files (reads, and for .bz2 decompresses, the whole file).
    case nidasSamples = "nidas-samples"
    /// Whichever of fits, netcdf or nidas the file's first bytes say it is.
    case header
    /// The file's modification time: a last resort, always marked as such.
    case mtime
    /// A directory dataset: the union of its members (set on datasets, not files).
    case dataset
}

/// One archive on one host: its roots and the rules that give each file its meaning.
public struct ContextDefinition: Sendable {
    public var name: String
    public var summary: String?
    public var roots: [String]
    public var rules: [Rule]
    public var ignore: [PathPattern]
    /// Time sources for files that no rule matches (category `other`).
    public var otherTime: [TimeSource]
    /// The state machines of datasets, per category (`[[dataset_states]]`).
    public var stateMachines: [DatasetStateMachine]
    /// Update commands, the request job and the pins' grace (`[[update]]`, `request_job`, `pin_grace`).
    public var requests = RequestSettings()
    /// Changes whenever the definition's text changes, so files are classified anew.
    public var fingerprint: String
    public var file: String

    /// One `[[rule]]`: the first rule whose pattern matches a file decides its meaning.
    public struct Rule: Sendable {
        public var patterns: [PathPattern]
        public var category: Template
        public var stream: Template
        public var dataset: Template?
        public var time: [TimeSource]
        /// Nominal file length in microseconds (NIDAS fileset `length`).
        public var length: Int64?
        /// Files matched by a skip rule are not catalogued at all.
        public var skip: Bool
    }

    public static let otherCategory = "other"

    /// Parses a definition; `defaultName` is used when the file sets no `context`.
    public init(file: String, text: String, defaultName: String) throws(DefinitionError) {
        let doc = try TOMLDocument(file: file, text: text)
        let top = doc.top
        try top.rejectUnknownKeys(allowed: ["context", "description", "roots", "ignore", "other_time", "rule", "dataset_states"] + RequestSettings.topKeys)
        self.file = file
        self.name = try top.string("context") ?? defaultName
        guard !name.isEmpty else { throw top.error("context", "must not be empty") }
        self.summary = try top.string("description")
        self.roots = try top.strings("roots") ?? []
        for r in roots where !r.hasPrefix("/") {
            throw top.error("roots", "root '\(r)' must be an absolute path")
        }
        self.ignore = try Self.patterns(top, "ignore") ?? []
        self.otherTime = try Self.timeSources(top, "other_time") ?? [.mtime]
        var rules: [Rule] = []
        for t in try top.tables("rule") {
            try t.rejectUnknownKeys(allowed: ["match", "category", "stream", "dataset", "time", "length", "skip"])
            guard let patterns = try Self.patterns(t, "match"), !patterns.isEmpty else {
                throw t.error(nil, "\(t.path) needs 'match', a path pattern relative to the root")
            }
            let skip = try t.bool("skip") ?? false
            if !skip { _ = try t.requiredString("category") }
            let captures = patterns.map(\.captureNames).reduce(patterns[0].captureNames) { $0.intersection($1) }
            func template(_ key: String) throws(DefinitionError) -> Template? {
                guard let s = try t.string(key) else { return nil }
                let tpl: Template
                do { tpl = try Template(s) } catch { throw t.error(key, error.message) }
                if let unknown = tpl.captureNames.subtracting(captures).first {
                    throw t.error(key, "uses {\(unknown)}, which not every 'match' pattern of this rule captures")
                }
                return tpl
            }
            let category = try template("category") ?? Template.empty
            if category.text.contains(where: { $0.isWhitespace }) { throw t.error("category", "must not contain spaces") }
            let stream = try template("stream") ?? Template.empty
            let dataset = try template("dataset")
            let hasTime = patterns.allSatisfy { $0.resolution != nil }
            let time = try Self.timeSources(t, "time") ?? (hasTime ? [.name, .mtime] : [.mtime])
            if time.contains(.name) && !hasTime {
                throw t.error("time", "lists \"name\", but a 'match' pattern has no time fields (%Y%m%d…)")
            }
            if time.contains(.dataset) { throw t.error("time", "\"dataset\" is derived for datasets, not read from files") }
            let length = try t.duration("length")
            if length != nil && !hasTime { throw t.error("length", "needs time fields in every 'match' pattern") }
            rules.append(Rule(patterns: patterns, category: category, stream: stream, dataset: dataset,
                              time: time, length: length, skip: skip))
        }
        self.rules = rules
        self.stateMachines = try DatasetStateMachine.parse(try top.tables("dataset_states"))
        self.requests = try RequestSettings.parse(top)
        self.fingerprint = Self.fnv1a(text)
    }

    private static func patterns(_ t: TOMLDocument.Table, _ key: String) throws(DefinitionError) -> [PathPattern]? {
        guard let texts = try t.strings(key) else { return nil }
        var out: [PathPattern] = []
        for s in texts {
            do { out.append(try PathPattern(s)) } catch { throw t.error(key, error.description) }
        }
        return out
    }

    private static func timeSources(_ t: TOMLDocument.Table, _ key: String) throws(DefinitionError) -> [TimeSource]? {
        guard let names = try t.strings(key) else { return nil }
        var out: [TimeSource] = []
        for n in names {
            guard let s = TimeSource(rawValue: n) else {
                throw t.error(key, "unknown time source '\(n)'; use \(TimeSource.allCases.filter { $0 != .dataset }.map(\.rawValue).joined(separator: ", "))")
            }
            out.append(s)
        }
        guard !out.isEmpty else { throw t.error(key, "lists no time source") }
        return out
    }

    public static func fnv1a(_ text: String) -> String { String(fnv1aValue(text), radix: 16) }

    public static func fnv1aValue(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }
}

extension Template {
    static let empty = try! Template("")
}

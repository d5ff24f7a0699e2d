import Foundation

/// Parsing `policies/<name>.toml`. Every problem is reported with file, line and key, and
/// before anything is planned; categories are checked against the catalog separately
/// (`CatalogListing.validate(_:)`), since only the catalog knows them.
extension Policy {
    static let topKeys = ["policy", "context", "description", "future_tolerance", "rule"]
    static let ageOffKeys = ["kind", "name", "categories", "time", "before", "older_than", "free", "when_above", "until_below",
                             "keep_newest", "require_copy_on", "dataset_state", "then_state"]
    static let cleanupKeys = ["kind", "name", "categories", "covered_by", "same_stream", "older_than", "keep_newest", "dataset_state", "then_state"]

    /// Parses a policy; `defaultName` is used when the file sets no `policy`. Relative times
    /// (`before = "-30d"`) are taken from `now`.
    public init(file: String, text: String, defaultName: String, now: Instant) throws(DefinitionError) {
        let doc = try TOMLDocument(file: file, text: text)
        let top = doc.top
        try top.rejectUnknownKeys(allowed: Self.topKeys)
        let name = try top.string("policy") ?? defaultName
        guard !name.isEmpty else { throw top.error("policy", "must not be empty") }
        let context = try top.requiredString("context")
        var rules: [PolicyRule] = []
        let tables = try top.tables("rule")
        guard !tables.isEmpty else { throw top.error(nil, "a policy needs at least one [[rule]]") }
        for t in tables {
            let kind = try t.requiredString("kind")
            let ruleName = try t.string("name") ?? "rule \(t.section!.index + 1) (\(kind))"
            if rules.contains(where: { $0.name == ruleName }) { throw t.error("name", "another rule is already named '\(ruleName)'") }
            switch kind {
            case "age-off":
                try t.rejectUnknownKeys(allowed: Self.ageOffKeys)
                var r = try Self.ageOff(t, name: ruleName, now: now)
                r.datasets = try Self.datasetStep(t)
                rules.append(.ageOff(r))
            case "cleanup":
                try t.rejectUnknownKeys(allowed: Self.cleanupKeys)
                var r = try Self.cleanup(t, name: ruleName)
                r.datasets = try Self.datasetStep(t)
                rules.append(.cleanup(r))
            default:
                throw t.error("kind", "unknown rule kind '\(kind)'; use \"age-off\" or \"cleanup\"")
            }
        }
        self.init(name: name, context: context, summary: try top.string("description"), rules: rules, file: file,
                  futureTolerance: try top.duration("future_tolerance") ?? Self.defaultFutureTolerance)
    }

    private static func ageOff(_ t: TOMLDocument.Table, name: String, now: Instant) throws(DefinitionError) -> AgeOffRule {
        let categories = try Self.categories(t, "categories")
        var from: Instant?, to: Instant?
        if let range = try t.string("time") {
            do { (from, to) = try TimeArgument.parseRange(range, now: now) } catch { throw t.error("time", error.description) }
            if let f = from, let e = to, f >= e { throw t.error("time", "the range is empty: its end must be after its beginning") }
            if from == nil && to == nil { throw t.error("time", "give a beginning, an end or both: \"20170101,20170601\"") }
        }
        if let before = try t.string("before") {
            let b: Instant
            do { b = try TimeArgument.parse(before, now: now) } catch { throw t.error("before", error.description) }
            to = min(to ?? b, b)
        }
        let olderThan = try t.duration("older_than")
        let free = try Self.bytes(t, "free")
        let high = try Self.percent(t, "when_above")
        let low = try Self.percent(t, "until_below")
        var target = AgeOffRule.Target.all
        if let free {
            if high != nil || low != nil { throw t.error("free", "set either 'free' or the watermarks 'when_above'/'until_below', not both") }
            guard free > 0 else { throw t.error("free", "must be more than 0 bytes") }
            target = .bytes(free)
        } else if let low {
            let high = high ?? low
            guard low < high || t.has("when_above") == false else {
                throw t.error("until_below", "the low watermark (\(percentText(low))) must be below the high one, when_above (\(percentText(high)))")
            }
            guard low > 0 else { throw t.error("until_below", "must be above 0%") }
            target = .watermark(high: high, low: low)
        } else if high != nil {
            throw t.error("when_above", "needs 'until_below', the usage to delete down to (e.g. when_above = \"90%\", until_below = \"80%\")")
        }
        if target == .all && from == nil && to == nil && olderThan == nil {
            throw t.error(nil, "\(t.path) would delete every file of its categories: give a time range ('time', 'before', 'older_than'), 'free', or watermarks")
        }
        return AgeOffRule(name: name, categories: categories.values, from: from, to: to, olderThan: olderThan, target: target,
                          keepNewest: try Self.keepNewest(t), requireCopyOn: try Self.hosts(t),
                          categoriesLocation: categories.location)
    }

    private static func cleanup(_ t: TOMLDocument.Table, name: String) throws(DefinitionError) -> CleanupRule {
        let categories = try Self.categories(t, "categories")
        let coveredBy = try Self.categories(t, "covered_by")
        if let both = categories.values.first(where: coveredBy.values.contains) {
            throw t.error("covered_by", "'\(both)' cannot cover itself")
        }
        guard let olderThan = try t.duration("older_than") else {
            throw t.error(nil, "\(t.path) needs 'older_than', an age guard (e.g. \"2d\") so files still being processed are left alone")
        }
        return CleanupRule(name: name, categories: categories.values, coveredBy: coveredBy.values,
                           sameStream: try t.bool("same_stream") ?? true, olderThan: olderThan, keepNewest: try Self.keepNewest(t),
                           categoriesLocation: categories.location, coveredByLocation: coveredBy.location)
    }

    private static func categories(_ t: TOMLDocument.Table, _ key: String) throws(DefinitionError) -> (values: [String], location: SourceLocation) {
        guard let values = try t.strings(key), !values.isEmpty else { throw t.error(t.has(key) ? key : nil, "\(t.path) needs '\(key)', a list of categories") }
        if values.contains(where: \.isEmpty) { throw t.error(key, "a category must not be empty") }
        let e = t.error(key, "")
        return (values, SourceLocation(file: e.file, line: e.line, key: e.key ?? key))
    }

    /// `dataset_state` and `then_state`: names, and a `then_state` only with the state it moves from.
    private static func datasetStep(_ t: TOMLDocument.Table) throws(DefinitionError) -> DatasetStep {
        func location(_ key: String) -> SourceLocation? {
            guard t.has(key) else { return nil }
            let e = t.error(key, "")
            return SourceLocation(file: e.file, line: e.line, key: e.key ?? key)
        }
        let state = try t.string("dataset_state"), then = try t.string("then_state")
        if state?.isEmpty == true { throw t.error("dataset_state", "must name a state, e.g. \"merged\"") }
        if then?.isEmpty == true { throw t.error("then_state", "must name a state, e.g. \"cleaned\"") }
        if then != nil && state == nil {
            throw t.error("then_state", "needs 'dataset_state', the state the rule's datasets are in, so that the move is one the definition allows")
        }
        return DatasetStep(state: state, then: then, stateLocation: location("dataset_state"), thenLocation: location("then_state"))
    }

    private static func keepNewest(_ t: TOMLDocument.Table) throws(DefinitionError) -> Int {
        let n = try t.int("keep_newest") ?? 1
        // The newest file of a stream may still be being written: it is never deleted.
        guard n >= 1 else { throw t.error("keep_newest", "must be at least 1: the newest file of each stream is never deleted") }
        return n
    }

    private static func hosts(_ t: TOMLDocument.Table) throws(DefinitionError) -> [String] {
        guard let hosts = try t.strings("require_copy_on") else { return [] }
        guard !hosts.isEmpty, !hosts.contains(where: \.isEmpty) else { throw t.error("require_copy_on", "list host names, e.g. [\"backup1\"]") }
        return hosts
    }

    private static func bytes(_ t: TOMLDocument.Table, _ key: String) throws(DefinitionError) -> Int64? {
        guard t.has(key) else { return nil }
        if let i = try? t.int(key) { return Int64(i) }
        guard let s = try? t.string(key) else { throw t.error(key, "expected a size such as \"100G\" or a number of bytes") }
        guard let b = Quantity.bytes(s) else { throw t.error(key, "'\(s)' is not a size; write e.g. \"500G\", \"2T\" or \"100GiB\"") }
        return b
    }

    private static func percent(_ t: TOMLDocument.Table, _ key: String) throws(DefinitionError) -> Double? {
        guard t.has(key) else { return nil }
        do {
            if let d = try? t.double(key) { return try Quantity.percentage(number: d) }
            if let s = try? t.string(key) { return try Quantity.percentage(s) }
        } catch { throw t.error(key, error.description) }
        throw t.error(key, "expected a percentage such as \"90%\"")
    }
}

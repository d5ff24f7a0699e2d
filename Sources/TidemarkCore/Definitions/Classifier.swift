/// What a context's rules say about one file.
public struct Classification: Sendable, Equatable {
    public var category: String
    public var stream: String
    public var dataset: String?
    public var time: [TimeSource]
    /// Coverage from the name alone, when the rule's pattern carries time fields.
    public var nameCoverage: (start: Instant, end: Instant)?
    /// Index of the matching rule, nil for `other`.
    public var rule: Int?

    public static func == (a: Self, b: Self) -> Bool {
        a.category == b.category && a.stream == b.stream && a.dataset == b.dataset && a.time == b.time
            && a.nameCoverage?.start == b.nameCoverage?.start && a.nameCoverage?.end == b.nameCoverage?.end && a.rule == b.rule
    }
}

/// Applies a context's rules to paths; directory parts are matched once per directory.
public struct Classifier: Sendable {
    public let definition: ContextDefinition

    public init(_ definition: ContextDefinition) { self.definition = definition }

    /// The rules' state for one directory (its path relative to the root, as components).
    /// Used by one thread at a time: it remembers the last meaning it built.
    public final class Directory {
        private struct Candidate {
            let rule: Int
            let pattern: PathPattern
            let state: PathPattern.DirectoryState
        }
        private let rules: [ContextDefinition.Rule]
        private let otherTime: [TimeSource]
        private let candidates: [Candidate]
        private let ignore: [(PathPattern, PathPattern.DirectoryState)]
        /// The last rule and captures seen, with their expanded names: most files of a
        /// directory share them, so the strings are built once.
        private var last: (rule: Int, captures: [String: [UInt8]], category: String, stream: String, dataset: String?)?

        /// True when an ignore pattern such as `.snapshot/**` covers this whole directory.
        public let isIgnoredEntirely: Bool

        init(_ definition: ContextDefinition, components: [[UInt8]]) {
            rules = definition.rules
            otherTime = definition.otherTime
            var candidates: [Candidate] = []
            for (r, rule) in definition.rules.enumerated() {
                for p in rule.patterns {
                    let state = p.enter(directory: components)
                    if state.canMatchFiles { candidates.append(Candidate(rule: r, pattern: p, state: state)) }
                }
            }
            self.candidates = candidates
            ignore = definition.ignore.map { ($0, $0.enter(directory: components)) }
            isIgnoredEntirely = ignore.contains { $0.1.matchesEverythingBelow }
        }

        /// Nil when the file is to be left out of the catalog (ignored or a skip rule).
        public func classify(_ name: [UInt8]) -> Classification? {
            for (pattern, state) in ignore where state.canMatchFiles && pattern.match(fileName: name, in: state) != nil {
                return nil
            }
            for c in candidates {
                guard let m = c.pattern.match(fileName: name, in: c.state) else { continue }
                let rule = rules[c.rule]
                if rule.skip { return nil }
                var nameCoverage: (Instant, Instant)?
                if let start = m.fields.instant {
                    nameCoverage = (start, Classifier.nominalEnd(start: start, length: rule.length, resolution: c.pattern.resolution ?? .second))
                } else if rule.time.contains(.name) {
                    continue  // digits in range but no such date (Feb 30): not this pattern
                }
                if last == nil || last!.rule != c.rule || last!.captures != m.captures {
                    last = (c.rule, m.captures, rule.category.expand(m), rule.stream.expand(m), rule.dataset?.expand(m))
                }
                return Classification(category: last!.category, stream: last!.stream, dataset: last!.dataset,
                                      time: rule.time, nameCoverage: nameCoverage, rule: c.rule)
            }
            return Classification(category: ContextDefinition.otherCategory, stream: "", dataset: nil,
                                  time: otherTime, nameCoverage: nil, rule: nil)
        }
    }

    public func enter(directory components: [[UInt8]]) -> Directory {
        Directory(definition, components: components)
    }

    /// Classifies a path relative to the root (used by `inspect` and tests).
    public func classify(relativePath: [UInt8]) -> Classification? {
        var comps = relativePath.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).map(Array.init)
        guard let name = comps.popLast() else { return nil }
        return enter(directory: comps).classify(name)
    }

    /// NIDAS FileSet: a file ends at the next multiple of the length after its start, so
    /// the first file after a restart (exact time) and later ones (on the boundary) agree.
    static func nominalEnd(start: Instant, length: Int64?, resolution: TimeResolution) -> Instant {
        guard let length else { return resolution.step(after: start) }
        let k = start.microseconds.floorDiv(length)
        return Instant(microseconds: (k + 1) * length)
    }
}

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
    public struct Directory: Sendable {
        let classifier: Classifier
        let ruleStates: [[PathPattern.DirectoryState]]
        let ignoreStates: [PathPattern.DirectoryState]

        /// Nil when the file is to be left out of the catalog (ignored or a skip rule).
        public func classify(_ name: [UInt8]) -> Classification? {
            for (i, pattern) in classifier.definition.ignore.enumerated() where pattern.match(fileName: name, in: ignoreStates[i]) != nil {
                return nil
            }
            let rules = classifier.definition.rules
            for (r, states) in ruleStates.enumerated() {
                let rule = rules[r]
                for (p, pattern) in rule.patterns.enumerated() {
                    guard states[p].canMatchFiles, let m = pattern.match(fileName: name, in: states[p]) else { continue }
                    if rule.skip { return nil }
                    var c = Classification(category: rule.category.expand(m), stream: rule.stream.expand(m),
                                           dataset: rule.dataset?.expand(m), time: rule.time, nameCoverage: nil, rule: r)
                    if let start = m.fields.instant {
                        c.nameCoverage = (start, Classifier.nominalEnd(start: start, length: rule.length, resolution: pattern.resolution ?? .second))
                    } else if rule.time.contains(.name) {
                        continue  // digits in range but no such date (Feb 30): not this pattern
                    }
                    return c
                }
            }
            return Classification(category: ContextDefinition.otherCategory, stream: "", dataset: nil,
                                  time: classifier.definition.otherTime, nameCoverage: nil, rule: nil)
        }

        /// True when an ignore pattern such as `.snapshot/**` covers this whole directory.
        public var isIgnoredEntirely: Bool { ignoreStates.contains(where: \.matchesEverythingBelow) }
    }

    public func enter(directory components: [[UInt8]]) -> Directory {
        Directory(classifier: self,
                  ruleStates: definition.rules.map { $0.patterns.map { $0.enter(directory: components) } },
                  ignoreStates: definition.ignore.map { $0.enter(directory: components) })
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

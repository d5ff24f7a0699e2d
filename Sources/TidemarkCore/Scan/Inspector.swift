/// Says what the scanner would record for single files, without a catalog.
public struct Inspector: Sendable {
    public let definitions: [ContextDefinition]
    /// Use the first definition even for files outside its roots (matched by name alone).
    public let forced: Bool
    public let resolver: CoverageResolver
    /// For files no context claims: NIDAS archives get the coverage of their samples,
    /// since no rule gives their length.
    public let genericResolver: CoverageResolver

    public init(definitions: [ContextDefinition], forced: Bool, resolver: CoverageResolver,
                genericResolver: CoverageResolver? = nil) {
        self.definitions = definitions; self.forced = forced; self.resolver = resolver
        self.genericResolver = genericResolver ?? resolver
    }

    /// The entry for one file; `stat` nil means it could not be stat'ed.
    public func inspect(path: PathBytes, stat: FileStat?) -> CatalogEntry {
        guard let stat else {
            return CatalogEntry(path: path, context: "", category: "", stream: "", size: 0,
                                source: .mtime, state: .missing, error: "no such file, or not readable")
        }
        // The context whose root holds the file, and the path relative to that root.
        var chosen: (ContextDefinition, PathBytes)?
        for d in definitions {
            for root in d.roots.map(\.pathBytes) where PathBytes.isSameOrBelow(path, root) && path.count > root.count {
                chosen = (d, Array(path[(root.count + 1)...]))
            }
        }
        let components = path.split(separator: UInt8(ascii: "/")).map(Array.init)
        let baseName = components.last ?? []
        if chosen == nil, forced, let d = definitions.first {
            // Outside the context's roots (a copy elsewhere): the longest tail of the path
            // that one of its rules matches, else the name alone.
            let classifier = Classifier(d)
            let tail = components.indices.lazy.map { Array(components[$0...]).joined(separator: [UInt8(ascii: "/")]) }
                .first { classifier.classify(relativePath: Array($0))?.rule != nil }
            chosen = (d, tail.map(Array.init) ?? baseName)
        }
        let (definition, relative) = chosen ?? (ContextDefinition.generic, baseName)
        guard let c = Classifier(definition).classify(relativePath: relative) else {
            return CatalogEntry(path: path, context: definition.name, category: "", stream: "", size: stat.size,
                                source: .mtime, state: .live, error: "left out by the context's ignore or skip rules")
        }
        let resolved = (chosen == nil ? genericResolver : resolver).resolve(CoverageInput(path: path, stat: stat, classification: c))
        var entry = CatalogEntry(path: path, context: definition.name, category: c.category, stream: c.stream, dataset: c.dataset,
                                 size: stat.size, coverage: resolved.coverage, source: resolved.source, state: .live,
                                 error: resolved.error)
        entry.notes = resolved.notes.isEmpty ? nil : resolved.notes.joined(separator: "; ")
        return entry
    }
}

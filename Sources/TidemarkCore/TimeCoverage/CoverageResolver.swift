#if canImport(Glibc)
import Glibc
#endif

/// The result of trying a rule's time sources in order.
public struct ResolvedCoverage: Sendable {
    public var coverage: Coverage?
    public var source: TimeSource
    /// Why a source could not be read (or why no coverage was found); nil when all went well.
    public var error: String?
    /// What the readers said of the file: a NIDAS header, a time system converted, sources
    /// that disagree. Kept with the file.
    public var notes: [String] = []

    public init(coverage: Coverage?, source: TimeSource, error: String?, notes: [String] = []) {
        self.coverage = coverage; self.source = source; self.error = error; self.notes = notes
    }
}

/// Tries the sources a rule lists, in order, and keeps the first coverage found.
/// A source that fails leaves its error on the file; the scan goes on.
public struct CoverageResolver: Sendable {
    public var readers: [TimeSource: any CoverageReader]

    public init(readers: [any CoverageReader] = []) {
        var map: [TimeSource: any CoverageReader] = [:]
        for r in readers { map[r.source] = r }
        self.readers = map
    }

    /// Readers registered under the sources rules name them by.
    public init(readersBySource: [TimeSource: any CoverageReader]) {
        self.readers = readersBySource
    }

    public func resolve(_ input: CoverageInput) -> ResolvedCoverage {
        var problems: [String] = []
        var notes: [String] = []
        var magic: [UInt8]?
        func finish(_ c: Coverage, _ s: TimeSource) -> ResolvedCoverage {
            ResolvedCoverage(coverage: c, source: s, error: problems.isEmpty ? nil : problems.joined(separator: "; "), notes: notes)
        }
        func attempt(_ reader: any CoverageReader) -> Coverage? {
            do {
                let reading = try reader.read(input)
                notes += reading.notes
                if reading.coverage == nil && reading.notes.isEmpty { notes.append("\(reader.source.rawValue): no time keywords") }
                return reading.coverage
            } catch {
                problems.append("\(reader.source.rawValue): \(error)")
                return nil
            }
        }
        for source in input.classification.time {
            switch source {
            case .name:
                if let c = input.classification.nameCoverage { return finish(Coverage(start: c.start, end: c.end), .name) }
            case .mtime:
                let t = input.stat.mtime
                return finish(Coverage(start: t, end: t), .mtime)
            case .dataset:
                continue
            case .header:
                if magic == nil { magic = Self.leadingBytes(input.path, count: 8) }
                let candidates = [TimeSource.fits, .netcdf, .nidas].compactMap { readers[$0] }
                // The reader the bytes name; else the one the file name claims, so that a
                // `.fits` that is an HTML page is an error; else no header format: go on.
                guard let reader = magic.flatMap({ m in candidates.first { $0.recognizes(magic: m, path: input.path) } })
                        ?? Self.claimedFormat(input.path).flatMap({ readers[$0] }) else { continue }
                if let c = attempt(reader) { return finish(c, reader.source) }
            case .fits, .netcdf, .nidas, .nidasSamples:
                guard let reader = readers[source] else {
                    problems.append("\(source.rawValue): this build has no \(source.rawValue) reader")
                    continue
                }
                if let c = attempt(reader) { return finish(c, reader.source) }
            }
        }
        if problems.isEmpty { problems.append(notes.isEmpty ? "no time source gave a coverage" : "no time found") }
        return ResolvedCoverage(coverage: nil, source: .mtime, error: problems.joined(separator: "; "), notes: notes)
    }

    /// The header format a file's name claims (`.fits`, `.fz`, `.nc`, `.cdf`, `.dat`, …).
    static func claimedFormat(_ path: PathBytes) -> TimeSource? {
        let name = String(decoding: path.split(separator: UInt8(ascii: "/")).last ?? [], as: UTF8.self).lowercased()
        for suffix in [".gz", ".z", ".bz2"] where name.hasSuffix(suffix) {
            return claimedFormat(Array(name.dropLast(suffix.count).utf8))
        }
        if [".fits", ".fit", ".fts", ".fz", ".evt"].contains(where: name.hasSuffix) { return .fits }
        if [".nc", ".nc4", ".cdf", ".netcdf"].contains(where: name.hasSuffix) { return .netcdf }
        if [".dat", ".ads"].contains(where: name.hasSuffix) { return .nidas }
        return nil
    }

    /// The first bytes of a file, for format sniffing; nil when it cannot be read.
    public static func leadingBytes(_ path: PathBytes, count: Int) -> [UInt8]? {
        let fd = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: count)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, 0) }
        guard n >= 0 else { return nil }
        return Array(buf.prefix(n))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The result of trying a rule's time sources in order.
public struct ResolvedCoverage: Sendable {
    public var coverage: Coverage?
    public var source: TimeSource
    /// Why an earlier source failed, or what the chosen one noted; nil when all went well.
    public var error: String?
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

    public func resolve(_ input: CoverageInput) -> ResolvedCoverage {
        var problems: [String] = []
        var magic: [UInt8]?
        for source in input.classification.time {
            switch source {
            case .name:
                if let c = input.classification.nameCoverage {
                    return finish(Coverage(start: c.start, end: c.end), .name, problems)
                }
            case .mtime:
                let t = input.stat.mtime
                return finish(Coverage(start: t, end: t), .mtime, problems)
            case .dataset:
                continue
            case .header:
                if magic == nil { magic = Self.leadingBytes(input.path, count: 8) }
                // No reader knows these bytes: not a header format, try the next source.
                guard let m = magic, let reader = readers.values.first(where: { $0.recognizes(magic: m, path: input.path) }) else { continue }
                if let r = attempt(reader, input, &problems) { return r }
            case .fits, .netcdf, .nidas:
                guard let reader = readers[source] else {
                    problems.append("\(source.rawValue): this build has no \(source.rawValue) reader")
                    continue
                }
                if let r = attempt(reader, input, &problems) { return r }
            }
        }
        return ResolvedCoverage(coverage: nil, source: .mtime, error: problems.isEmpty ? "no time source gave a coverage" : problems.joined(separator: "; "))
    }

    private func attempt(_ reader: any CoverageReader, _ input: CoverageInput, _ problems: inout [String]) -> ResolvedCoverage? {
        do {
            let reading = try reader.read(input)
            if let c = reading.coverage { return finish(c, reader.source, problems + reading.notes) }
            problems.append("\(reader.source.rawValue): no time keywords")
        } catch {
            problems.append("\(reader.source.rawValue): \(error)")
        }
        return nil
    }

    private func finish(_ c: Coverage, _ s: TimeSource, _ problems: [String]) -> ResolvedCoverage {
        ResolvedCoverage(coverage: c, source: s, error: problems.isEmpty ? nil : problems.joined(separator: "; "))
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

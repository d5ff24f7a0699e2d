/// Reads NIDAS raw archives (`NIDAS (ncar.ucar.edu)` / `NCAR ADS3`), plain or `.bz2`.
///
/// The archive header carries no time, so by default `read` gives no coverage and puts
/// the header in its notes; coverage then comes from the file name. With
/// `readTimeTags` on, it walks every sample (16-byte little-endian headers: int64 µs
/// since 1970, uint32 length, uint32 id) and gives the least to the greatest time tag:
/// the true coverage of short or cut-off files. That reads (and for .bz2 decompresses)
/// the whole file.
public struct NIDASReader: CoverageReader {
    /// nidas-samples when the coverage comes from the time tags, so the catalog says so.
    public var source: TimeSource { readTimeTags ? .nidasSamples : .nidas }
    /// Walk the samples for their time tags (reads the whole file).
    public var readTimeTags: Bool
    /// A header longer than this is taken as no NIDAS header at all.
    public var maxHeaderLength = 16 << 10
    /// A sample claiming more data than this means the stream is corrupt from there on.
    public var maxSampleLength: UInt32 = 64 << 20

    /// Tags outside 1980…2200 are not times a NIDAS system wrote: they are counted, not used.
    static let plausible = Instant(year: 1980, month: 1, day: 1)!...Instant(year: 2200, month: 1, day: 1)!

    public init(readTimeTags: Bool = false) {
        self.readTimeTags = readTimeTags
    }

    public func recognizes(magic: [UInt8], path: PathBytes) -> Bool {
        if NIDASHeader.identities.contains(where: { magic.starts(with: Array($0.utf8).prefix(8)) }) { return true }
        // A .bz2 is ours when its name says NIDAS data: .dat.bz2 or .ads.bz2.
        if magic.starts(with: Array("BZh".utf8)) {
            let name = String(decoding: path.split(separator: UInt8(ascii: "/")).last ?? [], as: UTF8.self).lowercased()
            return name.hasSuffix(".dat.bz2") || name.hasSuffix(".ads.bz2")
        }
        return false
    }

    public func read(_ input: CoverageInput) throws -> CoverageReading {
        try read(path: input.path)
    }

    /// The header of the archive at `path`.
    public func readHeader(path: PathBytes) throws -> NIDASHeader {
        let (stream, _) = try open(path)
        let buffer = Buffer(stream: stream)
        return try header(buffer, path)
    }

    /// The header in notes; with `readTimeTags`, the coverage of the time tags.
    public func read(path: PathBytes) throws -> CoverageReading {
        let (stream, compressed) = try open(path)
        let buffer = Buffer(stream: stream)
        let header = try header(buffer, path)
        var notes = [header.summary]
        guard readTimeTags else { return CoverageReading(coverage: nil, notes: notes) }
        buffer.chunk = 1 << 20

        var count = 0, stepsBack = 0, implausible = 0
        var first: Instant?, last: Instant?
        var low = Instant(microseconds: .max), high = Instant(microseconds: .min)
        var previous: Int64 = .min
        while true {
            guard try buffer.fill(16) else {
                if buffer.available > 0 { notes.append("a \(buffer.available)-byte partial sample header at the end (cut-off file)") }
                break
            }
            let tag = buffer.int64(at: 0)
            let length = buffer.uint32(at: 8)
            guard length <= maxSampleLength else {
                notes.append("sample \(count + 1) claims \(length) bytes: the data is corrupt from there on, the rest is not read")
                break
            }
            let whole = 16 + Int(length)
            guard try buffer.skip(whole) else {
                notes.append("a partial sample at the end: \(buffer.skippedShort) of its \(whole) bytes (cut-off file)")
                break
            }
            count += 1
            let t = Instant(microseconds: tag)
            guard Self.plausible.contains(t) else { implausible += 1; continue }
            if tag < previous { stepsBack += 1 }
            previous = tag
            if first == nil { first = t }
            last = t
            low = min(low, t); high = max(high, t)
        }
        if stream.endedEarly { notes.append("the bzip2 stream is cut off: coverage is of the samples before the cut") }
        if stepsBack > 0 { notes.append("\(stepsBack) time tag\(stepsBack == 1 ? "" : "s") step back: coverage is the least to the greatest") }
        if implausible > 0 { notes.append("\(implausible) time tag\(implausible == 1 ? "" : "s") outside 1980–2200 ignored") }
        guard let first, let last else {
            notes.append("no samples\(compressed ? " in the decompressed data" : "")")
            return CoverageReading(coverage: nil, notes: notes)
        }
        notes.append("\(count) samples, tags \(first.iso8601) … \(last.iso8601)")
        return CoverageReading(coverage: Coverage(start: low, end: high), notes: notes)
    }

    private func open(_ path: PathBytes) throws -> (any ByteStream, compressed: Bool) {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: path) } catch { throw HeaderReadError(.nidas, path, "open", error.reason, code: error.errno) }
        let magic: [UInt8]
        do { magic = try file.read(count: 3, at: 0) } catch { throw HeaderReadError(.nidas, path, "read", error.reason, code: error.errno) }
        guard !magic.isEmpty else { throw HeaderReadError(.nidas, path, "read", "the file is empty (0 bytes)") }
        if magic == Array("BZh".utf8) { return (try BZ2Stream(file: file, format: .nidas), true) }
        return (file, false)
    }

    private func header(_ buffer: Buffer, _ path: PathBytes) throws -> NIDASHeader {
        // Grow the window until "end header\n" is in it (headers are padded, under 1 KiB).
        var searched = 0
        while true {
            let more = try buffer.fill(min(buffer.available + 4096, maxHeaderLength))
            let window = buffer.window
            if let end = Self.find(NIDASHeader.endLine, in: window, from: max(0, searched - NIDASHeader.endLine.count)) {
                switch NIDASHeader.parse(window[window.startIndex..<(window.startIndex + end + NIDASHeader.endLine.count)]) {
                case .success(let h):
                    _ = try buffer.skip(h.length)
                    return h
                case .failure(let why):
                    throw HeaderReadError(.nidas, path, "read header", why)
                }
            }
            searched = window.count
            if case .failure(let why) = NIDASHeader.parse(window), !why.hasPrefix("no 'end header'") {
                throw HeaderReadError(.nidas, path, "read header", why)
            }
            if !more || window.count >= maxHeaderLength {
                let cut = buffer.stream.endedEarly ? " (the bzip2 stream is cut off)" : ""
                throw HeaderReadError(.nidas, path, "read header", "no 'end header' line in the first \(window.count) bytes\(cut)")
            }
        }
    }

    private static func find(_ needle: [UInt8], in hay: ArraySlice<UInt8>, from: Int) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[(hay.startIndex + i)...].starts(with: needle) { return i }
            i += 1
        }
        return nil
    }

    /// A read-ahead window over a byte stream.
    final class Buffer {
        let stream: any ByteStream
        private var bytes: [UInt8] = []
        private var start = 0
        private var ended = false
        /// How many bytes a failed `skip` found.
        private(set) var skippedShort = 0
        /// Bytes asked of the stream at a time: small for the header, large for samples.
        var chunk = 64 << 10
        private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

        init(stream: any ByteStream) { self.stream = stream }
        deinit { scratch.deallocate() }

        var available: Int { bytes.count - start }
        var window: ArraySlice<UInt8> { bytes[start...] }

        /// Makes `count` bytes available; false at the end with fewer.
        func fill(_ count: Int) throws -> Bool {
            while available < count && !ended {
                if start > 0 && start >= bytes.count / 2 {
                    bytes.removeSubrange(0..<start)
                    start = 0
                }
                let n = try stream.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<min(chunk, scratch.count)]))
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                if n == 0 { ended = true }
            }
            return available >= count
        }

        /// Drops `count` bytes, reading past what is buffered; false at the end with fewer.
        func skip(_ count: Int) throws -> Bool {
            var left = count
            while left > 0 {
                if available == 0 { guard try fill(1) else { skippedShort = count - left; return false } }
                let n = min(left, available)
                start += n
                left -= n
            }
            return true
        }

        func int64(at offset: Int) -> Int64 {
            var v: UInt64 = 0
            for i in (0..<8).reversed() { v = v << 8 | UInt64(bytes[start + offset + i]) }
            return Int64(bitPattern: v)
        }

        func uint32(at offset: Int) -> UInt32 {
            var v: UInt32 = 0
            for i in (0..<4).reversed() { v = v << 8 | UInt32(bytes[start + offset + i]) }
            return v
        }
    }
}

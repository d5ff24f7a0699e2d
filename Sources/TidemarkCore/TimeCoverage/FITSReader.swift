/// Reads a file's time coverage from its FITS headers through cfitsio: the primary HDU
/// first, then the next ones (tile-compressed `.fits.fz` keep everything in HDU 2),
/// giving up after `maxHDUs`. Keyword precedence is `FITSTimeKeywords`'s.
///
/// Plain files are opened with cfitsio's disk-file entry point (`ffdkopn`: `[` in a name
/// is no filter), except the common file that is one HDU whose header lies in its first
/// blocks: those bytes, read anyway to sniff the format, go to cfitsio's memory driver.
/// Gzip and Unix-compress files are decompressed here, only up to
/// `compressedPrefixLimit` bytes, and the prefix handed to the memory driver: cfitsio
/// itself would inflate the whole file. Every HDU is walked (headers only) so a file cut
/// short anywhere is an error; extension headers are screened by `FITSHeaderGuard` for
/// values that crash cfitsio.
public struct FITSReader: CoverageReader {
    public var source: TimeSource { .fits }
    /// HDUs looked at, the primary included, before concluding a file has no time.
    public var maxHDUs: Int
    /// At most this many bytes are decompressed from a .gz or .Z file.
    public var compressedPrefixLimit: Int

    public init(maxHDUs: Int = 6, compressedPrefixLimit: Int = 4 << 20) {
        self.maxHDUs = maxHDUs
        self.compressedPrefixLimit = compressedPrefixLimit
    }

    static let simple: [UInt8] = Array("SIMPLE  =".utf8)

    public func recognizes(magic: [UInt8], path: PathBytes) -> Bool {
        if magic.starts(with: Self.simple.prefix(8)) { return true }
        // Compressed FITS is told by its name; a .tar.gz is none of ours.
        if magic.count >= 2, magic[0] == 0x1f, magic[1] == 0x8b || magic[1] == 0x9d {
            let name = String(decoding: path.split(separator: UInt8(ascii: "/")).last ?? [], as: UTF8.self).lowercased()
            return name.contains(".fit") || name.contains(".fts")
        }
        return false
    }

    public func read(_ input: CoverageInput) throws -> CoverageReading {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(input) } catch { throw HeaderReadError(.fits, input.path, "open", error.reason, code: error.errno) }
        return try read(file, path: input.path)
    }

    /// The coverage of the FITS file at `path`.
    public func read(path: PathBytes) throws -> CoverageReading {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: path) } catch { throw HeaderReadError(.fits, path, "open", error.reason, code: error.errno) }
        return try read(file, path: path)
    }

    private func read(_ file: ReadOnlyFile, path: PathBytes) throws -> CoverageReading {
        let head: [UInt8]
        do { head = try file.read(count: 2880, at: 0) } catch { throw HeaderReadError(.fits, path, "read", error.reason, code: error.errno) }
        guard !head.isEmpty else { throw HeaderReadError(.fits, path, "read", "the file is empty (0 bytes)") }

        let opened = try open(file, head: head, path: path)
        let fullSize = opened.fullSize

        // Read HDUs until one gives a time, then walk the rest (headers only) so that a
        // file cut short anywhere is reported, not just one cut in the HDU with the time.
        var notes: [String] = []
        var found: CoverageReading?
        var lastEnd: Int64 = 0
        var hdu = 1
        while hdu <= Self.maxWalk {
            if hdu > 1 {
                if opened.singleHDU { break }
                // No bytes after the last HDU: done, without asking cfitsio to fail a move.
                if let fullSize, lastEnd >= fullSize { break }
                if let danger = FITSHeaderGuard.danger(read: { opened.read(lastEnd, $0) }) {
                    throw HeaderReadError(.fits, path, "move to HDU \(hdu)", "corrupt header: \(danger)")
                }
                guard let fits = opened.fits else { break }
                let moved: Bool
                do { moved = try fits.move(toHDU: hdu) } catch {
                    // Past a decompressed prefix there is nothing to read, not an error.
                    if fullSize == nil { break }
                    throw error
                }
                guard moved else { break }
            }
            let end = try opened.dataEnd(hdu: hdu, path: path)
            if let fullSize, end > fullSize {
                throw HeaderReadError(.fits, path, "check size", "truncated: HDU \(hdu)'s data ends at byte \(end) but the \(fullSize == file.size ? "file" : "decompressed file") has only \(fullSize) bytes")
            }
            lastEnd = end
            if found == nil && hdu <= maxHDUs {
                let (cards, skipped) = try opened.cards(path: path)
                if skipped > 0 { notes.append("HDU \(hdu): \(skipped) time card\(skipped == 1 ? "" : "s") cfitsio could not parse were skipped") }
                let keywords = FITSTimeKeywords(cards: cards)
                if keywords.hasStartKeyword {
                    var reading = keywords.reading()
                    if reading.coverage != nil {
                        if hdu > 1 { reading.notes.insert("time from HDU \(hdu)", at: 0) }
                        found = reading
                    } else {
                        notes += reading.notes.map { "HDU \(hdu): \($0)" }
                    }
                }
            }
            if fullSize == nil && (found != nil || hdu >= maxHDUs) { break }
            hdu += 1
        }
        if let fullSize, hdu <= Self.maxWalk, fullSize > lastEnd {
            // Bytes after the last whole HDU: a cut extension, or junk some writers leave.
            if opened.peek(lastEnd).starts(with: Array("XTENSION".utf8)) {
                throw HeaderReadError(.fits, path, "check size", "truncated: the extension header at byte \(lastEnd) is cut off (the file ends at \(fullSize))")
            }
            notes.append("\(fullSize - lastEnd) bytes after the last HDU are not FITS")
        }
        if let prefixNote = opened.prefixNote, hdu > 1 || found == nil { notes.append(prefixNote) }
        if var found {
            found.notes = notes + found.notes
            return found
        }
        let looked = min(hdu, maxHDUs + 1) - 1
        notes.append(looked >= maxHDUs && hdu > maxHDUs ? "no time keywords in the first \(maxHDUs) HDUs" : "no time keywords in \(looked) HDU\(looked == 1 ? "" : "s")")
        return CoverageReading(coverage: nil, notes: notes)
    }

    /// An open FITS file and what is known of its (decompressed) size.
    private struct Opened {
        /// nil for a single-HDU file sized from its mandatory cards: cfitsio never opens it.
        var fits: FITSFile?
        /// nil when only a decompressed prefix was read.
        var fullSize: Int64?
        var prefixNote: String?
        /// True when the file is known to hold only the primary HDU.
        var singleHDU = false
        /// That HDU's header bytes, when they were read here.
        var header: [UInt8]? = nil
        /// Where the primary HDU's data ends, when known without cfitsio.
        var primaryDataEnd: Int64? = nil
        /// Up to `count` bytes at an offset (of the decompressed data for .gz/.Z).
        var read: (Int64, Int) -> [UInt8]

        func peek(_ offset: Int64) -> [UInt8] { read(offset, 8) }

        /// Where the current HDU's data ends.
        func dataEnd(hdu: Int, path: PathBytes) throws(HeaderReadError) -> Int64 {
            if hdu == 1, let primaryDataEnd { return primaryDataEnd }
            guard let fits else { throw HeaderReadError(.fits, path, "locate HDU data", "no HDU \(hdu) in a single-HDU file") }
            return try fits.dataEnd()
        }

        /// The current HDU's time cards: from the header read here, else through cfitsio.
        func cards(path: PathBytes) throws(HeaderReadError) -> (cards: FITSCards, skipped: Int) {
            if let header { return FITSFile.cards(in: header, named: FITSTimeKeywords.keywordSet) }
            guard let fits else { throw HeaderReadError(.fits, path, "read header", "no header to read") }
            return try fits.cards(named: FITSTimeKeywords.keywordSet)
        }
    }

    private func open(_ file: ReadOnlyFile, head: [UInt8], path: PathBytes) throws -> Opened {
        guard head.count >= 2, head[0] == 0x1f, head[1] == 0x8b || head[1] == 0x9d else {
            try Self.checkStart(head, path: path, what: "file")
            if let single = try singleHDU(file, head: head, path: path) { return single }
            let fits: FITSFile
            do { fits = try FITSFile(diskPath: path) } catch {
                guard error.code == 107 else { throw error }
                throw HeaderReadError(.fits, path, "open", "truncated: the primary header has no END card before the end of the file (cfitsio: tried to move past end of file)", code: error.code)
            }
            return Opened(fits: fits, fullSize: file.size, prefixNote: nil) { offset, count in (try? file.read(count: count, at: offset)) ?? [] }
        }
        let prefix = head[1] == 0x8b
            ? try CompressedPrefix.gunzip(file, limit: compressedPrefixLimit, format: .fits)
            : try CompressedPrefix.uncompress(file, limit: compressedPrefixLimit, format: .fits)
        try Self.checkStart(prefix.bytes, path: path, what: "decompressed data")
        let fits: FITSFile
        do { fits = try FITSFile(memory: prefix.bytes, path: path) } catch {
            guard !prefix.complete, error.code == 107 else { throw error }
            throw HeaderReadError(.fits, path, "open", "the primary header does not end within the first \(prefix.bytes.count) decompressed bytes (raise compressedPrefixLimit)", code: error.code)
        }
        let bytes = prefix.bytes
        return Opened(
            fits: fits,
            fullSize: prefix.complete ? Int64(bytes.count) : nil,
            prefixNote: prefix.complete ? nil : "only the first \(bytes.count) decompressed bytes were read"
        ) { offset, count in offset >= 0 && offset < Int64(bytes.count) ? Array(bytes[Int(offset)..<min(bytes.count, Int(offset) + count)]) : [] }
    }

    /// The common case fast: a file that is one primary HDU, whose header ends within the
    /// first blocks. Its header blocks, read here with one or two preads, go to cfitsio's
    /// memory driver; the disk driver would open the file twice (once to sniff for
    /// compression) through stdio. Files with extensions (or cut short) return nil and
    /// take the disk path, which walks every HDU.
    private func singleHDU(_ file: ReadOnlyFile, head: [UInt8], path: PathBytes) throws -> Opened? {
        var header = head
        var end = FITSHeaderGuard.headerEnd(header)
        if end == nil && file.size > Int64(header.count) {
            do { header = try file.read(count: 2880 * 36, at: 0) } catch { throw HeaderReadError(.fits, path, "read", error.reason, code: error.errno) }
            end = FITSHeaderGuard.headerEnd(header)
        }
        guard let end else { return nil }
        let bytes = end == header.count ? header : Array(header.prefix(end))
        // Sized from its mandatory cards, a plain primary HDU needs no cfitsio at all.
        if let dataEnd = FITSDataSize.primaryDataEnd(bytes, headerEnd: end) {
            guard dataEnd == file.size else { return nil }
            return Opened(fits: nil, fullSize: file.size, prefixNote: nil, singleHDU: true, header: bytes, primaryDataEnd: dataEnd) { _, _ in [] }
        }
        // Any trouble here (a header cfitsio refuses): the disk path gives cfitsio's own error.
        guard let fits = try? FITSFile(memory: bytes, path: path),
              (try? fits.dataEnd()) == file.size else { return nil }
        return Opened(fits: fits, fullSize: file.size, prefixNote: nil, singleHDU: true, header: bytes) { _, _ in [] }
    }

    /// HDUs walked to check a file is whole; past this many, the rest is trusted.
    static let maxWalk = 1000

    /// Refuses what is not FITS before cfitsio sees it, naming what it looks like.
    static func checkStart(_ bytes: [UInt8], path: PathBytes, what: String) throws {
        guard bytes.starts(with: simple) else {
            throw HeaderReadError(.fits, path, "read", "not a FITS file: the \(what) starts with \(FileKind.describe(bytes)), not 'SIMPLE  ='")
        }
        guard bytes.count >= 2880 else {
            throw HeaderReadError(.fits, path, "read", "truncated: the \(what) has \(bytes.count) bytes, less than one 2880-byte FITS block")
        }
    }
}

/// Reads a file's time coverage from its FITS headers through cfitsio: the primary HDU
/// first, then the next ones (tile-compressed `.fits.fz` keep everything in HDU 2),
/// giving up after `maxHDUs`. Keyword precedence is `FITSTimeKeywords`'s.
///
/// Plain files are opened with cfitsio's disk-file entry point. Gzip and Unix-compress
/// files are decompressed here, only up to `compressedPrefixLimit` bytes, and the prefix
/// handed to cfitsio's memory driver: cfitsio itself would inflate the whole file.
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
        try read(path: input.path)
    }

    /// The coverage of the FITS file at `path`.
    public func read(path: PathBytes) throws -> CoverageReading {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: path) } catch { throw HeaderReadError(.fits, path, "open", error.reason, code: error.errno) }
        let head: [UInt8]
        do { head = try file.read(count: 2880, at: 0) } catch { throw HeaderReadError(.fits, path, "read", error.reason, code: error.errno) }
        guard !head.isEmpty else { throw HeaderReadError(.fits, path, "read", "the file is empty (0 bytes)") }

        let fits: FITSFile
        var fullSize: Int64? = file.size
        var prefixNote: String?
        if head.count >= 2, head[0] == 0x1f, head[1] == 0x8b || head[1] == 0x9d {
            let prefix = head[1] == 0x8b
                ? try CompressedPrefix.gunzip(file, limit: compressedPrefixLimit, format: .fits)
                : try CompressedPrefix.uncompress(file, limit: compressedPrefixLimit, format: .fits)
            try Self.checkStart(prefix.bytes, path: path, what: "decompressed data")
            fullSize = prefix.complete ? Int64(prefix.bytes.count) : nil
            if !prefix.complete { prefixNote = "only the first \(prefix.bytes.count) decompressed bytes were read" }
            fits = try FITSFile(memory: prefix.bytes, path: path)
        } else {
            try Self.checkStart(head, path: path, what: "file")
            fits = try FITSFile(diskPath: path)
        }

        var notes: [String] = []
        var hdu = 1
        while hdu <= maxHDUs {
            if hdu > 1 {
                let moved: Bool
                do { moved = try fits.move(toHDU: hdu) } catch {
                    // Past a decompressed prefix there is nothing to read, not an error.
                    if fullSize == nil { notes.append(prefixNote ?? ""); break }
                    throw error
                }
                guard moved else { break }
            }
            let end = try fits.dataEnd()
            if let fullSize, end > fullSize {
                throw HeaderReadError(.fits, path, "check size", "truncated: HDU \(hdu)'s data ends at byte \(end) but the \(fullSize == file.size ? "file" : "decompressed file") has only \(fullSize) bytes")
            }
            let (cards, skipped) = try fits.cards { FITSTimeKeywords.names.contains($0) }
            if skipped > 0 { notes.append("HDU \(hdu): \(skipped) time card\(skipped == 1 ? "" : "s") cfitsio could not parse were skipped") }
            let keywords = FITSTimeKeywords(cards: cards)
            if keywords.hasStartKeyword {
                var reading = keywords.reading()
                if reading.coverage != nil {
                    if hdu > 1 { reading.notes.insert("time from HDU \(hdu)", at: 0) }
                    reading.notes = notes + reading.notes
                    return reading
                }
                notes += reading.notes.map { "HDU \(hdu): \($0)" }
            }
            hdu += 1
        }
        notes.append(hdu > maxHDUs ? "no time keywords in the first \(maxHDUs) HDUs" : "no time keywords in \(hdu - 1) HDU\(hdu == 2 ? "" : "s")")
        return CoverageReading(coverage: nil, notes: notes.filter { !$0.isEmpty })
    }

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

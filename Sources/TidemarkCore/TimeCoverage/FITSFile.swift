internal import CFITSIO

/// One open cfitsio `fitsfile`: opened in `init`, closed in `deinit`, used by one thread
/// at a time (cfitsio is built reentrant: separate files on separate threads are fine).
final class FITSFile {
    let path: PathBytes
    private var fptr: UnsafeMutablePointer<fitsfile>?
    /// For a file read into memory: the buffer and size cfitsio's memory driver points at.
    private var memory: UnsafeMutableRawPointer?
    private var memorySlot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    private var memorySize: UnsafeMutablePointer<Int>?

    /// Opens a disk file by the disk-file entry point, so `[` in a name is no filter.
    init(diskPath path: PathBytes) throws(HeaderReadError) {
        self.path = path
        var status: Int32 = 0
        var f: UnsafeMutablePointer<fitsfile>?
        (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { _ = ffdkopn(&f, $0, READONLY, &status) }
        }
        guard status == 0, let f else { throw FITSFile.error(path, "open", status) }
        fptr = f
    }

    /// Opens FITS bytes held in memory (a decompressed prefix of a .gz or .Z file).
    init(memory bytes: [UInt8], path: PathBytes) throws(HeaderReadError) {
        self.path = path
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        // The memory driver keeps the addresses of the pointer and the size: they must stay put.
        let slot = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
        slot.initialize(to: buffer)
        let size = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        size.initialize(to: bytes.count)
        memory = buffer; memorySlot = slot; memorySize = size
        var status: Int32 = 0
        var f: UnsafeMutablePointer<fitsfile>?
        _ = ffomem(&f, "memory", READONLY, slot, size, 0, nil, &status)
        guard status == 0, let f else { throw FITSFile.error(path, "open (decompressed)", status) }
        fptr = f
    }

    deinit {
        if let fptr {
            var status: Int32 = 0
            ffclos(fptr, &status)
        }
        memory?.deallocate()
        memorySlot?.deallocate()
        memorySize?.deallocate()
    }

    /// Moves to HDU `number` (1 is the primary); false when the file has no such HDU.
    func move(toHDU number: Int) throws(HeaderReadError) -> Bool {
        var status: Int32 = 0
        var type: Int32 = 0
        ffmahd(fptr, Int32(number), &type, &status)
        if status == END_OF_FILE { return false }
        guard status == 0 else { throw FITSFile.error(path, "move to HDU \(number)", status) }
        return true
    }

    /// Where the current HDU's data ends, in bytes from the start of the file.
    func dataEnd() throws(HeaderReadError) -> Int64 {
        var status: Int32 = 0
        var head: LONGLONG = 0, data: LONGLONG = 0, end: LONGLONG = 0
        ffghadll(fptr, &head, &data, &end, &status)
        guard status == 0 else { throw FITSFile.error(path, "locate HDU data", status) }
        return Int64(end)
    }

    /// The current HDU's cards named in `wanted`; the first of duplicates wins. Names are
    /// compared as 8-byte words, so only wanted cards become Strings. Cards cfitsio cannot
    /// parse are skipped and counted.
    func cards(named wanted: FITSKeywordSet) throws(HeaderReadError) -> (cards: FITSCards, skipped: Int) {
        var status: Int32 = 0
        var count: Int32 = 0, more: Int32 = 0
        ffghsp(fptr, &count, &more, &status)
        guard status == 0 else { throw FITSFile.error(path, "count header cards", status) }
        var out = FITSCards()
        var skipped = 0
        var card = [CChar](repeating: 0, count: 96)
        var value = [CChar](repeating: 0, count: 96)
        var comment = [CChar](repeating: 0, count: 96)
        for n in 0..<count {
            status = 0
            ffgrec(fptr, n + 1, &card, &status)
            guard status == 0 else { throw FITSFile.error(path, "read header card \(n + 1)", status) }
            let word = card.withUnsafeBytes { FITSKeywordSet.word($0) }
            guard wanted.contains(word), !out.contains(word) else { continue }
            ffpsvc(&card, &value, &comment, &status)
            guard status == 0 else { skipped += 1; continue }
            out.add(word, FITSCard(value: FITSFile.text(value), comment: wanted.wantsComment(word) ? FITSFile.text(comment) : ""))
        }
        return (out, skipped)
    }

    /// The cards named in `wanted` from raw header bytes (80-byte cards up to END), values
    /// parsed by cfitsio's `ffpsvc`: for a header already in memory, without a card-by-card
    /// walk through the open file.
    static func cards(in header: [UInt8], named wanted: FITSKeywordSet) -> (cards: FITSCards, skipped: Int) {
        var out = FITSCards()
        var skipped = 0
        // One stack buffer for the card and cfitsio's value and comment (each up to 80 bytes + NUL).
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 3 * 96) { buffer in
            let card = buffer.baseAddress!, value = card + 96, comment = card + 192
            header.withUnsafeBytes { bytes in
                var at = 0
                while at + 80 <= bytes.count {
                    let word = FITSKeywordSet.word(UnsafeRawBufferPointer(rebasing: bytes[at..<(at + 8)]))
                    if word == FITSKeywordSet.endWord { break }
                    if wanted.contains(word), !out.contains(word) {
                        UnsafeMutableRawPointer(card).copyMemory(from: bytes.baseAddress! + at, byteCount: 80)
                        card[80] = 0
                        value[0] = 0
                        comment[0] = 0
                        var status: Int32 = 0
                        ffpsvc(card, value, comment, &status)
                        if status == 0 {
                            out.add(word, FITSCard(value: String(cString: value), comment: wanted.wantsComment(word) ? String(cString: comment) : ""))
                        } else {
                            skipped += 1
                        }
                    }
                    at += 80
                }
            }
        }
        return (out, skipped)
    }

    /// A NUL-terminated C string as a String (invalid UTF-8 repaired).
    private static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBytes { b in
            let n = b.firstIndex(of: 0) ?? b.count
            return String(decoding: UnsafeRawBufferPointer(rebasing: b[..<n]), as: UTF8.self)
        }
    }

    /// cfitsio's text for a status code (`ffgerr`), as a HeaderReadError.
    static func error(_ path: PathBytes, _ operation: String, _ status: Int32) -> HeaderReadError {
        var text = [CChar](repeating: 0, count: 96)
        ffgerr(status, &text)
        return HeaderReadError(.fits, path, operation, "cfitsio: " + FITSFile.text(text), code: status)
    }
}

internal import CZlib

/// The first bytes of a compressed file, decompressed no further than needed: a header
/// reader wants the leading FITS blocks, not a 2 GB image inflated into memory.
struct CompressedPrefix {
    var bytes: [UInt8]
    /// True when the whole stream was decompressed (so `bytes` is the whole file).
    var complete: Bool

    /// Inflates a gzip (or zlib) file until `limit` bytes are out or the stream ends.
    static func gunzip(_ file: ReadOnlyFile, limit: Int, format: HeaderReadError.Format) throws -> CompressedPrefix {
        // Buffers with stable addresses: zlib keeps pointers into them between calls.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
        defer { input.deallocate(); output.deallocate() }
        var stream = z_stream()
        guard tidemark_inflateInit2(&stream, 15 + 32) == Z_OK else {
            throw HeaderReadError(format, file.path, "gunzip", "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        func refill() throws -> Bool {
            let n = try file.read(into: input)
            stream.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_in = UInt32(n)
            return n > 0
        }
        guard try refill() else { return CompressedPrefix(bytes: [], complete: true) }
        while out.count < limit {
            stream.next_out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let room = min(output.count, limit - out.count)
            stream.avail_out = UInt32(room)
            let rc = inflate(&stream, Z_NO_FLUSH)
            let produced = room - Int(stream.avail_out)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: output[0..<produced]))
            switch rc {
            case Z_STREAM_END:
                // A gzip file may hold several members; go on while input remains.
                if stream.avail_in == 0, try !refill() { return CompressedPrefix(bytes: out, complete: true) }
                inflateReset(&stream)
            case Z_OK, Z_BUF_ERROR:
                if stream.avail_in == 0, try !refill() {
                    throw HeaderReadError(format, file.path, "gunzip", "the compressed stream is cut off after \(out.count) decompressed bytes")
                }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw HeaderReadError(format, file.path, "gunzip", "corrupt compressed data (zlib: \(message))", code: rc)
            }
        }
        return CompressedPrefix(bytes: out, complete: false)
    }

    /// Decodes a Unix `compress` (.Z, LZW) file until `limit` bytes are out or the input
    /// ends. Follows gzip's `unlzw.c`, including its code-group alignment quirk.
    static func uncompress(_ file: ReadOnlyFile, limit: Int, format: HeaderReadError.Format) throws -> CompressedPrefix {
        // LZW never shrinks data below half, so twice the limit of input is enough.
        let wholeInput = file.size <= Int64(2 * limit + 3)
        let data = try file.read(count: Int(min(file.size, Int64(2 * limit + 3))), at: 0)
        func corrupt(_ why: String) -> HeaderReadError {
            HeaderReadError(format, file.path, "uncompress (.Z)", why)
        }
        guard data.count >= 3, data[0] == 0x1f, data[1] == 0x9d else { throw corrupt("not a compress (.Z) stream") }
        let maxBits = Int(data[2] & 0x1f)
        let blockMode = data[2] & 0x80 != 0
        guard (9...16).contains(maxBits) else { throw corrupt("it asks for \(maxBits)-bit codes (9 to 16 allowed)") }
        let maxMaxCode = 1 << maxBits
        var prefix = [UInt16](repeating: 0, count: maxMaxCode)
        var suffix = [UInt8](repeating: 0, count: maxMaxCode)
        for c in 0..<256 { suffix[c] = UInt8(c) }
        var nBits = 9
        var maxCode = (1 << nBits) - 1
        var freeEntry = blockMode ? 257 : 256
        let totalBits = (data.count - 3) * 8
        var origin = 24  // codes come in groups of nBits bytes counted from here
        var pos = 24
        var oldCode = -1
        var finChar: UInt8 = 0
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, 1 << 20))
        var stack: [UInt8] = []
        func align() {
            let group = nBits * 8
            let used = pos - origin
            pos = origin + (used + group - 1) / group * group
            origin = pos
        }
        while out.count < limit {
            if freeEntry > maxCode {
                align()
                nBits += 1
                maxCode = nBits == maxBits ? maxMaxCode : (1 << nBits) - 1
                continue
            }
            guard pos + nBits <= totalBits + 24 else { break }
            // Codes are packed least-significant bit first.
            let byte = (pos - 24) >> 3 + 3
            var word = Int(data[byte])
            if byte + 1 < data.count { word |= Int(data[byte + 1]) << 8 }
            if byte + 2 < data.count { word |= Int(data[byte + 2]) << 16 }
            var code = (word >> ((pos - 24) & 7)) & ((1 << nBits) - 1)
            pos += nBits
            if oldCode == -1 {
                guard code < 256 else { throw corrupt("corrupt input: first code \(code)") }
                oldCode = code; finChar = UInt8(code)
                out.append(finChar)
                continue
            }
            if code == 256 && blockMode {
                for i in 0..<256 { prefix[i] = 0 }
                freeEntry = 256
                align()
                nBits = 9
                maxCode = (1 << nBits) - 1
                continue
            }
            let inCode = code
            stack.removeAll(keepingCapacity: true)
            if code >= freeEntry {
                guard code == freeEntry else { throw corrupt("corrupt input: code \(code) beyond table end \(freeEntry)") }
                stack.append(finChar)
                code = oldCode
            }
            while code >= 256 {
                stack.append(suffix[code])
                code = Int(prefix[code])
            }
            finChar = suffix[code]
            stack.append(finChar)
            out.append(contentsOf: stack.reversed())
            if freeEntry < maxMaxCode {
                prefix[freeEntry] = UInt16(oldCode)
                suffix[freeEntry] = finChar
                freeEntry += 1
            }
            oldCode = inCode
        }
        if out.count > limit { out.removeSubrange(limit...) }
        return CompressedPrefix(bytes: out, complete: wholeInput && out.count < limit)
    }
}

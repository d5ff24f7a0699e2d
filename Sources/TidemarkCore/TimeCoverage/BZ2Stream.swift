internal import CBZ2

/// A bzip2 file decompressed as it is read (several concatenated streams included).
/// Owns the `bz_stream`: initialised in `init`, ended in `deinit`.
final class BZ2Stream: ByteStream {
    private let file: ReadOnlyFile
    private let format: HeaderReadError.Format
    // bzip2 keeps a pointer back to its bz_stream: it must not move.
    private let stream = UnsafeMutablePointer<bz_stream>.allocate(capacity: 1)
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 10, alignment: 16)
    private var active = false
    private var finished = false
    private(set) var endedEarly = false
    /// Decompressed bytes handed out so far, for messages.
    private(set) var produced: Int64 = 0

    init(file: ReadOnlyFile, format: HeaderReadError.Format) throws(HeaderReadError) {
        self.file = file
        self.format = format
        stream.initialize(to: bz_stream())
        try start()
    }

    deinit {
        if active { BZ2_bzDecompressEnd(stream) }
        stream.deallocate()
        input.deallocate()
    }

    private func start() throws(HeaderReadError) {
        let rc = BZ2_bzDecompressInit(stream, 0, 0)
        guard rc == BZ_OK else { throw failure(rc) }
        active = true
    }

    private func failure(_ rc: Int32) -> HeaderReadError {
        let why = switch rc {
        case BZ_DATA_ERROR_MAGIC: "not bzip2 data (bad magic)"
        case BZ_DATA_ERROR: "corrupt bzip2 data (a CRC or block check failed)"
        case BZ_MEM_ERROR: "bzip2 ran out of memory"
        default: "bzip2 error \(rc)"
        }
        return HeaderReadError(format, file.path, "bunzip2", "\(why) after \(produced) decompressed bytes", code: rc)
    }

    private func refill() throws -> Bool {
        let n = try file.read(into: input)
        stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: CChar.self)
        stream.pointee.avail_in = UInt32(n)
        return n > 0
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while !finished {
            if stream.pointee.avail_in == 0, try !refill() {
                // The file ended inside a stream: keep what came out, and say so.
                endedEarly = true
                finished = true
                return 0
            }
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
            stream.pointee.avail_out = UInt32(buffer.count)
            let rc = BZ2_bzDecompress(stream)
            let n = buffer.count - Int(stream.pointee.avail_out)
            produced += Int64(n)
            switch rc {
            case BZ_OK:
                if n > 0 { return n }
            case BZ_STREAM_END:
                BZ2_bzDecompressEnd(stream)
                active = false
                // Another stream may follow (pbzip2 and `cat a.bz2 b.bz2` write several).
                if stream.pointee.avail_in == 0, try !refill() {
                    finished = true
                } else if stream.pointee.avail_in >= 1, stream.pointee.next_in.pointee == 0x42 {
                    let (nextIn, availIn) = (stream.pointee.next_in, stream.pointee.avail_in)
                    stream.pointee = bz_stream()
                    stream.pointee.next_in = nextIn
                    stream.pointee.avail_in = availIn
                    try start()
                } else {
                    finished = true  // trailing bytes that are no stream: ignored, as bunzip2 does
                }
                if n > 0 { return n }
            default:
                finished = true
                throw failure(rc)
            }
        }
        return 0
    }
}

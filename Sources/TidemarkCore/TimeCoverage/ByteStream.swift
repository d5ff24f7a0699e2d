/// Bytes read in order from a file, plain or decompressed on the way.
protocol ByteStream: AnyObject {
    /// Fills the start of `buffer`; 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// True once the stream has ended before its format says it should (a cut-off .bz2).
    var endedEarly: Bool { get }
}

extension ReadOnlyFile: ByteStream {
    var endedEarly: Bool { false }
}

/// The end-of-file address an HDF5 (netCDF-4) superblock records, so a truncated file can be
/// named as such: HDF5 itself only tells netCDF-C "HDF error".
enum HDF5Superblock {
    /// The file size the superblock at the start of `bytes` declares; nil when unreadable.
    static func declaredEnd(_ bytes: [UInt8]) -> Int64? {
        guard bytes.starts(with: NetCDFReader.hdf5Magic), bytes.count > 9 else { return nil }
        let version = bytes[8]
        let offsetSize: Int
        let eofAt: Int
        switch version {
        case 0, 1:
            // Versions byte ×4, sizes at 13 and 14, then K values and flags; v1 adds 4 bytes.
            guard bytes.count > 14 else { return nil }
            offsetSize = Int(bytes[13])
            let addresses = version == 0 ? 24 : 28
            eofAt = addresses + 2 * offsetSize  // base, free-space info, then end of file
        case 2, 3:
            offsetSize = Int(bytes[9])
            eofAt = 12 + 2 * offsetSize  // base, superblock extension, then end of file
        default:
            return nil
        }
        guard [2, 4, 8].contains(offsetSize), eofAt + offsetSize <= bytes.count else { return nil }
        var v: UInt64 = 0
        for i in (0..<offsetSize).reversed() { v = v << 8 | UInt64(bytes[eofAt + i]) }  // little-endian
        return v == UInt64.max >> (64 - 8 * offsetSize) || v > UInt64(Int64.max) ? nil : Int64(v)
    }
}

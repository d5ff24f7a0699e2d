/// The layout a classic-format netCDF header (CDF-1, CDF-2 or CDF-5) declares, parsed
/// here because netCDF-C does not tell it: a file cut inside its data opens without
/// error there and reads zeros, so the reader compares the file's size with `dataEnd`.
struct NetCDFClassicLayout: Equatable {
    /// The smallest file size that holds every variable's data.
    var dataEnd: Int64
    var recordCount: Int64?

    enum Failure: Error, Equatable {
        /// The header runs past the bytes given; read more of the file.
        case needMore
        case invalid(String)
    }

    /// Parses a header from the file's first bytes; `wholeFile` says there are no more.
    static func parse(_ bytes: [UInt8], wholeFile: Bool) throws(Failure) -> NetCDFClassicLayout {
        var p = Parser(bytes: bytes, wholeFile: wholeFile)
        return try p.layout()
    }

    private struct Parser {
        let bytes: [UInt8]
        let wholeFile: Bool
        var at = 0
        var version: UInt8 = 1

        init(bytes: [UInt8], wholeFile: Bool) { self.bytes = bytes; self.wholeFile = wholeFile }

        func cut() -> Failure { wholeFile ? .invalid("the header is cut off at byte \(bytes.count)") : .needMore }

        mutating func int(_ width: Int) throws(Failure) -> Int64 {
            guard at + width <= bytes.count else { throw cut() }
            var v: UInt64 = 0
            for i in 0..<width { v = v << 8 | UInt64(bytes[at + i]) }
            at += width
            guard v <= UInt64(Int64.max) else { throw .invalid("a size in the header is out of range") }
            return Int64(v)
        }

        var sizeWidth: Int { version == 5 ? 8 : 4 }

        /// A count of things each taking at least `minBytes`, checked against what is left.
        mutating func count(minBytes: Int) throws(Failure) -> Int {
            let n = try int(sizeWidth)
            let room = Int64(bytes.count - at) / Int64(max(minBytes, 1))
            if n > room { throw wholeFile || n > 1 << 26 ? .invalid("the header claims \(n) entries") : .needMore }
            return Int(n)
        }

        mutating func skip(_ n: Int64) throws(Failure) {
            let padded = (n + 3) / 4 * 4
            guard padded <= Int64(bytes.count - at) else { throw cut() }
            at += Int(padded)
        }

        mutating func name() throws(Failure) { try skip(try int(sizeWidth)) }

        static func typeSize(_ t: Int64) -> Int64? {
            switch t {
            case 1, 2, 7: return 1        // byte, char, ubyte
            case 3, 8: return 2           // short, ushort
            case 4, 5, 9: return 4        // int, float, uint
            case 6, 10, 11: return 8      // double, int64, uint64
            default: return nil
            }
        }

        /// A list's tag: absent (0) or the expected one.
        mutating func listTag(_ expected: Int64, _ what: String) throws(Failure) -> Bool {
            let tag = try int(4)
            if tag == 0 { return false }
            guard tag == expected else { throw .invalid("the \(what) list has tag \(tag), not \(expected)") }
            return true
        }

        mutating func attributes() throws(Failure) {
            let present = try listTag(12, "attribute")
            let n = try count(minBytes: 12)
            guard present || n == 0 else { throw .invalid("an absent attribute list has \(n) entries") }
            for _ in 0..<n {
                try name()
                guard let size = Self.typeSize(try int(4)) else { throw .invalid("an attribute has an unknown type") }
                let values = try int(sizeWidth)
                let (bytes, o) = values.multipliedReportingOverflow(by: size)
                guard !o else { throw .invalid("an attribute is too large") }
                try skip(bytes)
            }
        }

        mutating func layout() throws(Failure) -> NetCDFClassicLayout {
            guard bytes.count >= 4 else { throw cut() }
            guard bytes[0] == 0x43, bytes[1] == 0x44, bytes[2] == 0x46, [1, 2, 5].contains(bytes[3]) else {
                throw .invalid("no classic netCDF magic")
            }
            version = bytes[3]
            at = 4
            let rawRecords = try int(sizeWidth)
            // All ones: a file still being written ("streaming"); the record count is unknown.
            let records: Int64? = rawRecords == (version == 5 ? Int64.max : 0xFFFF_FFFF) ? nil : rawRecords

            let dimsPresent = try listTag(10, "dimension")
            let dimCount = try count(minBytes: 8)
            guard dimsPresent || dimCount == 0 else { throw .invalid("an absent dimension list has \(dimCount) entries") }
            var dims: [Int64] = []
            for _ in 0..<dimCount {
                try name()
                dims.append(try int(sizeWidth))
            }
            try attributes()

            let varsPresent = try listTag(11, "variable")
            let varCount = try count(minBytes: 24)
            guard varsPresent || varCount == 0 else { throw .invalid("an absent variable list has \(varCount) entries") }
            struct Var { var begin: Int64; var size: Int64; var record: Bool }
            var vars: [Var] = []
            for _ in 0..<varCount {
                try name()
                let rank = try count(minBytes: sizeWidth)
                var size: Int64 = 1
                var record = false
                for i in 0..<rank {
                    let d = try int(sizeWidth)
                    guard d < Int64(dims.count) else { throw .invalid("a variable names dimension \(d) of \(dims.count)") }
                    let length = dims[Int(d)]
                    if length == 0 {
                        guard i == 0 else { throw .invalid("the record dimension is not a variable's first") }
                        record = true
                        continue
                    }
                    let (s, o) = size.multipliedReportingOverflow(by: length)
                    guard !o else { throw .invalid("a variable is too large") }
                    size = s
                }
                try attributes()
                guard let typeSize = Self.typeSize(try int(4)) else { throw .invalid("a variable has an unknown type") }
                _ = try int(sizeWidth)  // vsize: clipped for large variables; recomputed instead
                let begin = try int(version == 1 ? 4 : 8)
                let (bytes, o) = size.multipliedReportingOverflow(by: typeSize)
                guard !o else { throw .invalid("a variable is too large") }
                vars.append(Var(begin: begin, size: bytes, record: record))
            }

            // Records hold every record variable, each padded to 4 bytes unless it is the only one.
            let recordVars = vars.filter(\.record)
            let recordSize = recordVars.count == 1 ? recordVars[0].size : recordVars.reduce(Int64(0)) { $0 &+ ($1.size + 3) / 4 * 4 }
            var end = Int64(at)
            for v in vars {
                var last = v.begin &+ v.size
                if v.record {
                    guard let records, records > 0 else { continue }
                    let (span, o) = (records - 1).multipliedReportingOverflow(by: recordSize)
                    guard !o else { throw .invalid("the records are too large") }
                    last = v.begin &+ span &+ v.size
                }
                guard last >= 0 else { throw .invalid("a variable's data lies beyond any file size") }
                end = max(end, last)
            }
            return NetCDFClassicLayout(dataEnd: end, recordCount: records)
        }
    }
}

/// Writes small classic-format (CDF-1) netCDF files byte by byte, so tests can make the
/// ISFS, ARM and corrupt cases no sample has; netCDF-C then reads them for real.
struct ClassicNetCDFWriter {
    enum Values {
        case chars(String)
        case shorts([Int16])
        case ints([Int32])
        case floats([Float])
        case doubles([Double])

        var type: UInt32 {
            switch self { case .chars: 2; case .shorts: 3; case .ints: 4; case .floats: 5; case .doubles: 6 }
        }
        var count: Int {
            switch self {
            case .chars(let s): s.utf8.count
            case .shorts(let v): v.count
            case .ints(let v): v.count
            case .floats(let v): v.count
            case .doubles(let v): v.count
            }
        }
        var bytes: [UInt8] {
            switch self {
            case .chars(let s): Array(s.utf8)
            case .shorts(let v): v.flatMap { be(UInt64(UInt16(bitPattern: $0)), 2) }
            case .ints(let v): v.flatMap { be(UInt64(UInt32(bitPattern: $0)), 4) }
            case .floats(let v): v.flatMap { be(UInt64($0.bitPattern), 4) }
            case .doubles(let v): v.flatMap { be($0.bitPattern, 8) }
            }
        }
    }

    struct Variable {
        var name: String
        var dimensions: [Int]
        var attributes: [(String, Values)] = []
        var data: Values
    }

    /// (name, length); length 0 is the record (unlimited) dimension, which must come first.
    var dimensions: [(String, Int)] = []
    var attributes: [(String, Values)] = []
    var variables: [Variable] = []
    var records = 0

    static func be(_ v: UInt64, _ n: Int) -> [UInt8] { (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
    static func pad(_ b: [UInt8]) -> [UInt8] { b + [UInt8](repeating: 0, count: (4 - b.count % 4) % 4) }
    static func name(_ s: String) -> [UInt8] { be(UInt64(s.utf8.count), 4) + pad(Array(s.utf8)) }
    static func attributeList(_ list: [(String, Values)]) -> [UInt8] {
        guard !list.isEmpty else { return [UInt8](repeating: 0, count: 8) }
        return be(12, 4) + be(UInt64(list.count), 4) + list.flatMap { name($0.0) + be(UInt64($0.1.type), 4) + be(UInt64($0.1.count), 4) + pad($0.1.bytes) }
    }

    func isRecord(_ v: Variable) -> Bool { v.dimensions.first.map { dimensions[$0].1 == 0 } ?? false }

    /// The file's bytes: header, fixed variables, then the records.
    func bytes() -> [UInt8] {
        func header(_ begins: [Int]) -> [UInt8] {
            var h: [UInt8] = Array("CDF".utf8) + [1] + Self.be(UInt64(records), 4)
            h += dimensions.isEmpty ? [UInt8](repeating: 0, count: 8)
                : Self.be(10, 4) + Self.be(UInt64(dimensions.count), 4) + dimensions.flatMap { Self.name($0.0) + Self.be(UInt64($0.1), 4) }
            h += Self.attributeList(attributes)
            h += variables.isEmpty ? [UInt8](repeating: 0, count: 8) : Self.be(11, 4) + Self.be(UInt64(variables.count), 4)
            for (i, v) in variables.enumerated() {
                h += Self.name(v.name) + Self.be(UInt64(v.dimensions.count), 4) + v.dimensions.flatMap { Self.be(UInt64($0), 4) }
                h += Self.attributeList(v.attributes) + Self.be(UInt64(v.data.type), 4)
                h += Self.be(UInt64(slab(v).count), 4) + Self.be(UInt64(begins[i]), 4)
            }
            return h
        }
        let headerSize = header(Array(repeating: 0, count: variables.count)).count
        var begins = Array(repeating: 0, count: variables.count)
        var at = headerSize
        for (i, v) in variables.enumerated() where !isRecord(v) { begins[i] = at; at += slab(v).count }
        let recordVars = variables.indices.filter { isRecord(variables[$0]) }
        for i in recordVars { begins[i] = at; at += slab(variables[i], record: 0).count }
        var out = header(begins)
        for v in variables where !isRecord(v) { out += slab(v) }
        for r in 0..<records { for i in recordVars { out += slab(variables[i], record: r) } }
        return out
    }

    /// A fixed variable's data, or one record's slab of a record variable, padded to 4 bytes.
    func slab(_ v: Variable, record: Int? = nil) -> [UInt8] {
        let all = v.data.bytes
        guard isRecord(v) else { return Self.pad(all) }
        let per = all.count / max(records, 1)
        let r = record ?? 0
        return Self.pad(Array(all[min(all.count, r * per)..<min(all.count, (r + 1) * per)]))
    }
}

internal import CNetCDF
import Synchronization

/// One open netCDF dataset (classic or netCDF-4): `nc_open` in `init`, `nc_close` in
/// `deinit`. netCDF-C (and the HDF5 library under it) is not thread-safe, so every
/// `nc_*` call in Tidemark goes through `NetCDFFile.lock`.
final class NetCDFFile {
    /// The one lock around all of netCDF-C.
    private static let lock = Mutex(())

    struct Variable {
        var id: Int32
        var name: String
        var type: nc_type
        var dimensions: [Int32]
    }

    enum Attribute {
        case text(String)
        case strings([String])
        case numbers([Double])

        /// Text of a char or string attribute (the first string of several).
        var text: String? {
            switch self {
            case .text(let s): return s
            case .strings(let a): return a.first
            case .numbers: return nil
            }
        }
    }

    let path: PathBytes
    private let ncid: Int32

    init(path: PathBytes) throws(HeaderReadError) {
        self.path = path
        var id: Int32 = -1
        let status = (path + [0]).withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { name in
                NetCDFFile.locked { tidemark_hdf5_quiet(); return nc_open(name, NC_NOWRITE, &id) }
            }
        }
        guard status == NC_NOERR else { throw NetCDFFile.error(path, "open", status) }
        ncid = id
    }

    deinit {
        let id = ncid
        _ = NetCDFFile.locked { nc_close(id) }
    }

    private static func locked<T>(_ body: () -> T) -> T {
        lock.withLock { _ in body() }
    }

    /// netCDF-C's message for a status (`nc_strerror`), as a HeaderReadError.
    static func error(_ path: PathBytes, _ operation: String, _ status: Int32) -> HeaderReadError {
        let message = String(cString: nc_strerror(status))
        return HeaderReadError(.netcdf, path, operation, message, code: status)
    }

    private func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(HeaderReadError) {
        guard status == NC_NOERR else { throw NetCDFFile.error(path, operation(), status) }
    }

    /// The root group's variables.
    func variables() throws(HeaderReadError) -> [Variable] {
        var count: Int32 = 0
        try check(Self.locked { nc_inq_nvars(ncid, &count) }, "count variables")
        guard count > 0 else { return [] }
        var ids = [Int32](repeating: 0, count: Int(count))
        try check(Self.locked { nc_inq_varids(ncid, &count, &ids) }, "list variables")
        var out: [Variable] = []
        for id in ids.prefix(Int(count)) {
            var name = [CChar](repeating: 0, count: Int(NC_MAX_NAME) + 1)
            var type: nc_type = 0
            var ndims: Int32 = 0
            try check(Self.locked { nc_inq_var(ncid, id, &name, &type, &ndims, nil, nil) }, "describe variable \(id)")
            var dims = [Int32](repeating: 0, count: max(Int(ndims), 1))
            try check(Self.locked { nc_inq_vardimid(ncid, id, &dims) }, "read dimensions of variable \(id)")
            out.append(Variable(id: id, name: Self.string(name), type: type, dimensions: Array(dims.prefix(Int(ndims)))))
        }
        return out
    }

    func dimension(_ id: Int32) throws(HeaderReadError) -> (name: String, length: Int) {
        var name = [CChar](repeating: 0, count: Int(NC_MAX_NAME) + 1)
        var length = 0
        try check(Self.locked { nc_inq_dim(ncid, id, &name, &length) }, "describe dimension \(id)")
        return (Self.string(name), length)
    }

    /// An attribute of a variable, or a global one when `variable` is nil; nil when absent
    /// or of a type (compound, enum…) no time attribute has.
    func attribute(_ name: String, of variable: Int32?) throws(HeaderReadError) -> Attribute? {
        let varid = variable ?? NC_GLOBAL
        var type: nc_type = 0
        var length = 0
        let status = Self.locked { nc_inq_att(ncid, varid, name, &type, &length) }
        if status == NC_ENOTATT { return nil }
        try check(status, "describe attribute \(name)")
        guard length <= 1 << 24 else { return nil }
        switch Int32(type) {
        case NC_CHAR:
            var bytes = [CChar](repeating: 0, count: length + 1)
            try check(Self.locked { nc_get_att_text(ncid, varid, name, &bytes) }, "read attribute \(name)")
            // nc_get_att_text does not NUL-terminate; the extra byte above does.
            return .text(Self.string(bytes))
        case NC_STRING:
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: max(length, 1))
            try check(Self.locked { nc_get_att_string(ncid, varid, name, &pointers) }, "read attribute \(name)")
            let strings = pointers.prefix(length).map { $0.map { String(cString: $0) } ?? "" }
            _ = Self.locked { nc_free_string(length, &pointers) }
            return .strings(strings)
        case NC_BYTE, NC_UBYTE, NC_SHORT, NC_USHORT, NC_INT, NC_UINT, NC_INT64, NC_UINT64, NC_FLOAT, NC_DOUBLE:
            var values = [Double](repeating: 0, count: max(length, 1))
            let status = Self.locked { nc_get_att_double(ncid, varid, name, &values) }
            // NC_ERANGE: some value does not fit a double (never for these types); keep what was read.
            guard status == NC_NOERR || status == NC_ERANGE else { throw NetCDFFile.error(path, "read attribute \(name)", status) }
            return .numbers(Array(values.prefix(length)))
        default:
            return nil
        }
    }

    /// Every value of a numeric variable as doubles, in chunks along its first dimension.
    func values(of v: Variable, limit: Int = 50_000_000) throws(HeaderReadError) -> [Double] {
        var shape: [Int] = []
        for d in v.dimensions { shape.append(try dimension(d).length) }
        let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }
        guard count > 0 else { return [] }
        guard count <= limit else {
            throw HeaderReadError(.netcdf, path, "read variable \(v.name)", "it holds \(count) values, more than the \(limit) a header read allows")
        }
        var out = [Double](repeating: 0, count: count)
        if shape.isEmpty {
            try check(Self.locked { nc_get_var_double(ncid, v.id, &out) }, "read variable \(v.name)")
            return out
        }
        // Chunks of whole rows of the first dimension keep each call's memory bounded.
        let rowSize = count / shape[0]
        let rowsPerChunk = max(1, (1 << 20) / max(rowSize, 1))
        var row = 0
        while row < shape[0] {
            let rows = min(rowsPerChunk, shape[0] - row)
            var start = [Int](repeating: 0, count: shape.count)
            var counts = shape
            start[0] = row
            counts[0] = rows
            let status = out.withUnsafeMutableBufferPointer { buf in
                Self.locked { nc_get_vara_double(ncid, v.id, start, counts, buf.baseAddress! + row * rowSize) }
            }
            guard status == NC_NOERR || status == NC_ERANGE else { throw NetCDFFile.error(path, "read variable \(v.name)", status) }
            row += rows
        }
        return out
    }

    /// The on-disk format, for notes ("classic", "netCDF-4"…).
    func format() -> String {
        var f: Int32 = 0
        guard Self.locked({ nc_inq_format(ncid, &f) }) == NC_NOERR else { return "unknown" }
        switch f {
        case NC_FORMAT_CLASSIC: return "classic"
        case NC_FORMAT_64BIT_OFFSET: return "64-bit offset"
        case NC_FORMAT_CDF5: return "CDF-5"
        case NC_FORMAT_NETCDF4: return "netCDF-4"
        case NC_FORMAT_NETCDF4_CLASSIC: return "netCDF-4 classic model"
        default: return "format \(f)"
        }
    }

    static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The fill value netCDF-C uses for a type when `_FillValue` is absent.
    static func defaultFill(_ type: nc_type) -> Double? {
        switch Int32(type) {
        case NC_BYTE: return -127
        case NC_UBYTE: return 255
        case NC_SHORT: return -32767
        case NC_USHORT: return 65535
        case NC_INT: return -2_147_483_647
        case NC_UINT: return 4_294_967_295
        case NC_INT64: return Double(Int64(-9_223_372_036_854_775_806))
        case NC_UINT64: return Double(UInt64(18_446_744_073_709_551_614))
        case NC_FLOAT: return Double(Float(9.9692099683868690e+36))
        case NC_DOUBLE: return 9.9692099683868690e+36
        default: return nil
        }
    }

    /// True for the numeric types a time coordinate can have.
    static func isNumeric(_ type: nc_type) -> Bool {
        [NC_BYTE, NC_UBYTE, NC_SHORT, NC_USHORT, NC_INT, NC_UINT, NC_INT64, NC_UINT64, NC_FLOAT, NC_DOUBLE].contains(Int32(type))
    }
}

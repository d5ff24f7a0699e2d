import Foundation
internal import CFITSIO

/// A Pan-STARRS postage-stamp request file: the binary table `PS1_PSTAMP_REQUEST` (header
/// `REQ_NAME`, `EXTVER`, `ACTION`), one request specification per row. Tidemark uses
/// `IMG_TYPE` (the category), `MJD_MIN`/`MJD_MAX` (the window, UTC MJD; 0 or null: unbounded)
/// and `COMPONENT` (the stream; `null`: any), and keeps every other column with the request.
/// Columns are read by name, numbers of any integer or floating type, strings of any width.
public struct PostageStampRequestFile: Sendable {
    /// `REQ_NAME`: names the request's output file set.
    public var name: String
    public var extver: String?
    public var action: String?
    /// One per table row, in order: a request, or why the row cannot be one.
    public var rows: [Row]

    /// One row of the table.
    public struct Row: Sendable {
        /// `ROWNUM`, else the row's position from 1.
        public var number: Int
        /// Every column, as text ("null" kept as given).
        public var columns: [(name: String, value: String)]
        /// What the row asks for, or why it is malformed.
        public var selection: Result<(category: String, stream: String?, window: TimeWindow), Malformed>
    }

    /// Why a row cannot be a request.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Why a file cannot be read as a request table.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The columns a request needs.
    static let required = ["IMG_TYPE", "MJD_MIN", "MJD_MAX"]

    /// Reads the request table of the FITS file at `path`.
    public init(path: String) throws(ReadError) {
        try Self.refuseDangerousHeaders(path)
        let table = try Table(path: path)
        guard let name = table.keyword("REQ_NAME"), !name.isEmpty else {
            throw ReadError(description: "\(path): the PS1_PSTAMP_REQUEST table has no REQ_NAME keyword; a request file names its request")
        }
        self.name = name
        extver = table.keyword("EXTVER")
        action = table.keyword("ACTION")
        let names = try table.columnNames()
        for r in Self.required where !names.contains(r) {
            throw ReadError(description: "\(path): the PS1_PSTAMP_REQUEST table has no \(r) column (it has \(names.joined(separator: ", ")))")
        }
        let count = try table.rowCount()
        var text: [String: [String]] = [:]
        for (i, n) in names.enumerated() { text[n] = try table.strings(column: i + 1, rows: count) }
        let mjdMin = try table.doubles(column: names.firstIndex(of: "MJD_MIN")! + 1, rows: count)
        let mjdMax = try table.doubles(column: names.firstIndex(of: "MJD_MAX")! + 1, rows: count)
        rows = (0..<count).map { i in
            let columns = names.map { (name: $0, value: text[$0]![i]) }
            let number = text["ROWNUM"].flatMap { Int($0[i].trimmingCharacters(in: .whitespaces)) } ?? i + 1
            return Row(number: number, columns: columns,
                       selection: Self.selection(category: text["IMG_TYPE"]![i], component: text["COMPONENT"]?[i], min: mjdMin[i], max: mjdMax[i]))
        }
    }

    /// Looks at each HDU's header before cfitsio does, for the values known to crash it
    /// (FITSHeaderGuard); a request file is small, so it is read whole (up to 16 MiB).
    static func refuseDangerousHeaders(_ path: String) throws(ReadError) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }  // cfitsio's open says why
        let bytes = [UInt8]((try? handle.read(upToCount: 16 << 20)) ?? Data())
        try? handle.close()
        var at = 0
        while at < bytes.count {
            let rest = Array(bytes[at...])
            guard let end = FITSHeaderGuard.headerEnd(rest) else { return }
            if let danger = FITSHeaderGuard.danger(in: Array(rest[..<end])) {
                throw ReadError(description: "\(path): a header Tidemark will not hand to cfitsio: \(danger)")
            }
            guard let next = FITSDataSize.primaryDataEnd(rest, headerEnd: end), next > 0 else { return }
            at += Int(next)
        }
    }

    /// What one row selects, or why it is malformed.
    static func selection(category raw: String, component: String?, min: Double?, max: Double?)
        -> Result<(category: String, stream: String?, window: TimeWindow), Malformed> {
        let category = raw.trimmingCharacters(in: .whitespaces)
        guard !category.isEmpty, category.lowercased() != "null" else {
            return .failure(Malformed(description: "IMG_TYPE is empty: it names the category (raw, chip, warp, diff, stack)"))
        }
        let stream = component.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty || $0.lowercased() == "null" ? nil : $0 }
        func instant(_ v: Double?, _ key: String) -> Result<Instant?, Malformed> {
            guard let v, v != 0 else { return .success(nil) }
            // Within 10,000 years of 1970, as every time Tidemark takes.
            guard v.isFinite, abs(v - 40587) <= 3_652_500 else { return .failure(Malformed(description: "\(key) = \(v) is not a modified Julian date Tidemark can use")) }
            return .success(Instant(microseconds: Int64(((v - 40587) * 86_400_000_000).rounded())))
        }
        let lo: Instant?, hi: Instant?
        switch instant(min, "MJD_MIN") { case .success(let t): lo = t; case .failure(let e): return .failure(e) }
        switch instant(max, "MJD_MAX") { case .success(let t): hi = t; case .failure(let e): return .failure(e) }
        if let lo, let hi, hi < lo {
            return .failure(Malformed(description: "MJD_MAX (\(max!)) is before MJD_MIN (\(min!))"))
        }
        return .success((category, stream, TimeWindow(begin: lo, end: hi)))
    }

    /// The request file's facts and a row's columns, as JSON text kept with the request.
    public func source(path: String, row: Row) -> String {
        var object: [String: Any] = ["file": path, "req_name": name, "row": row.number]
        if let extver { object["extver"] = extver }
        if let action { object["action"] = action }
        object["columns"] = Dictionary(row.columns.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// The open request table: one cfitsio handle, closed in `deinit`.
private final class Table {
    let path: String
    private let fptr: UnsafeMutablePointer<fitsfile>

    init(path: String) throws(PostageStampRequestFile.ReadError) {
        self.path = path
        var status: Int32 = 0
        var f: UnsafeMutablePointer<fitsfile>?
        _ = ffdkopn(&f, path, READONLY, &status)
        guard status == 0, let f else { throw Self.error(path, "is not a FITS file Tidemark can open", status) }
        fptr = f
        var extname = Array("PS1_PSTAMP_REQUEST".utf8CString)
        ffmnhd(fptr, BINARY_TBL, &extname, 0, &status)
        guard status == 0 else {
            throw PostageStampRequestFile.ReadError(description: """
                \(path): no binary table extension PS1_PSTAMP_REQUEST; a Pan-STARRS postage-stamp request file has one (EXTNAME = 'PS1_PSTAMP_REQUEST')
                """)
        }
    }

    deinit {
        var status: Int32 = 0
        ffclos(fptr, &status)
    }

    /// A string keyword of the table's header; nil when absent.
    func keyword(_ name: String) -> String? {
        var status: Int32 = 0
        var value = [CChar](repeating: 0, count: 96)
        ffgkys(fptr, name, &value, nil, &status)
        guard status == 0 else {
            // Not a string: its value as written.
            status = 0
            ffgkey(fptr, name, &value, nil, &status)
            return status == 0 ? String(cString: value).trimmingCharacters(in: .whitespaces) : nil
        }
        return String(cString: value).trimmingCharacters(in: .whitespaces)
    }

    /// The columns' names (TTYPEn), upper-cased, in order.
    func columnNames() throws(PostageStampRequestFile.ReadError) -> [String] {
        var status: Int32 = 0
        var n: Int32 = 0
        ffgncl(fptr, &n, &status)
        guard status == 0 else { throw Self.error(path, "has a table whose columns cannot be counted", status) }
        return (1...max(1, Int(n))).prefix(Int(n)).map { (keyword("TTYPE\($0)") ?? "COLUMN\($0)").uppercased() }
    }

    func rowCount() throws(PostageStampRequestFile.ReadError) -> Int {
        var status: Int32 = 0
        var n: Int = 0
        ffgnrw(fptr, &n, &status)
        guard status == 0 else { throw Self.error(path, "has a table whose rows cannot be counted", status) }
        return n
    }

    /// A column's values as text (numbers formatted by cfitsio), one per row.
    func strings(column: Int, rows: Int) throws(PostageStampRequestFile.ReadError) -> [String] {
        guard rows > 0 else { return [] }
        var status: Int32 = 0
        var width: Int32 = 0
        ffgcdw(fptr, Int32(column), &width, &status)
        guard status == 0 else { throw Self.error(path, "has column \(column), whose width cannot be read", status) }
        let size = Int(max(width, 1)) + 1
        let buffers = (0..<rows).map { _ in UnsafeMutablePointer<CChar>.allocate(capacity: size) }
        defer { for b in buffers { b.deallocate() } }
        var pointers: [UnsafeMutablePointer<CChar>?] = buffers
        var null = Array("null".utf8CString)
        var anyNull: Int32 = 0
        ffgcvs(fptr, Int32(column), 1, 1, Int64(rows), &null, &pointers, &anyNull, &status)
        guard status == 0 else { throw Self.error(path, "has column \(column), which cannot be read as text", status) }
        return buffers.map { String(cString: $0).trimmingCharacters(in: .whitespaces) }
    }

    /// A numeric column's values; nil for a null (an undefined value, or a NaN).
    func doubles(column: Int, rows: Int) throws(PostageStampRequestFile.ReadError) -> [Double?] {
        guard rows > 0 else { return [] }
        var status: Int32 = 0
        var values = [Double](repeating: 0, count: rows)
        var nulls = [CChar](repeating: 0, count: rows)
        var anyNull: Int32 = 0
        ffgcfd(fptr, Int32(column), 1, 1, Int64(rows), &values, &nulls, &anyNull, &status)
        guard status == 0 else { throw Self.error(path, "has column \(column), which is not numeric", status) }
        return zip(values, nulls).map { v, n in n != 0 || v.isNaN ? nil : v }
    }

    static func error(_ path: String, _ what: String, _ status: Int32) -> PostageStampRequestFile.ReadError {
        var text = [CChar](repeating: 0, count: 96)
        ffgerr(status, &text)
        return PostageStampRequestFile.ReadError(description: "\(path) \(what) (cfitsio: \(String(cString: text)))")
    }
}

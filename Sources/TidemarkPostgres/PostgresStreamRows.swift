import NIOCore
import PostgresNIO
import TidemarkCore

/// How the stream finisher reads a stream's files: those without a start counted by the
/// server (they need no order), the others in start, id order as seven arrays a query, one
/// per column, which the client reads without a row decoder. Read a row per file, the rows
/// cost the client more CPU than the server spent finding them.
///
/// A stream of up to two chunks of dated files comes in one query; a larger one in pages,
/// ranges of start that a histogram of the stream cut to about a chunk or two each, so that
/// no stream sits in memory whole. Ranges, not `LIMIT`: a planner without statistics, as
/// right after a first scan's `COPY`, may sort all the rest of a stream for every page of a
/// `LIMIT`, while a range's index scan reads that range alone.
enum StreamRows {
    /// Rows of one chunk: `rowsPerFetch` is a row cursor's batch, and a chunk's rows are
    /// smaller to carry (tests make `rowsPerFetch` small, so that streams take several pages).
    static func chunk(rowsPerFetch: Int) -> Int { max(1, rowsPerFetch * 10) }

    /// A stream's files without a start, by state: state, files, bytes, files with an error.
    static func undated(_ stream: Int64) -> String {
        """
        SELECT state::int8, count(*), coalesce(sum(size), 0)::int8, count(error) FROM files WHERE stream_id = \(stream) AND start IS NULL
        GROUP BY state
        """
    }

    /// A stream's files with a start from `from` through `through`, in one row of arrays, in
    /// the order the sorted subquery hands them to the aggregates (`rows` makes sure of it).
    static func dated(_ stream: Int64, from: Int64, through: Int64) -> String {
        """
        SELECT array_agg(id), array_agg(start), array_agg(e), array_agg(so), array_agg(st), array_agg(size), array_agg(er)
        FROM (SELECT id, start, coalesce("end", 0) AS e, source::int8 AS so, state::int8 AS st, size, (error IS NOT NULL)::int::int8 AS er
              FROM files WHERE stream_id = \(stream) AND start BETWEEN \(from) AND \(through) ORDER BY start, id) AS t
        """
    }

    /// The pages that `cuts` make, as ranges of start: each page ends at a cut, the first
    /// open below and the last above (files that came since the stream was counted are read
    /// too); no cuts, one page.
    static func pages(cuts: [Int64]) -> [(from: Int64, through: Int64)] {
        zip([Int64.min] + cuts.map { $0 + 1 }, cuts + [Int64.max]).map { ($0, $1) }
    }

    /// Where to cut a stream's `count` dated files, starting from `first` through `last`, so
    /// that each page holds at most two chunks (more only where many share one start).
    /// `histogram` runs a query and returns its rows of (bucket, files).
    static func cuts(stream: Int64, first: Int64, last: Int64, count: Int, chunk: Int,
                     histogram: (String) throws -> [(bucket: Int64, files: Int)]) throws -> [Int64] {
        guard count > 2 * chunk, first < last else { return [] }
        let (span, overflow) = last.subtractingReportingOverflow(first)
        guard !overflow else { return [] }
        // Finer than pages, so that pages are made of several buckets.
        let buckets = Int64(min(4 * (count / chunk + 1), 10_000))
        let width = span / buckets + 1
        var cuts: [Int64] = [], inPage = 0
        func cut(_ at: Int64) {
            if at >= first, at < last, cuts.last.map({ at > $0 }) ?? true { cuts.append(at) }
            inPage = 0
        }
        for (bucket, files) in try histogram("""
            SELECT (start - \(first)) / \(width), count(*) FROM files WHERE stream_id = \(stream) AND start BETWEEN \(first) AND \(last)
            GROUP BY 1 ORDER BY 1
            """) {
            let lo = first + bucket * width, hi = min(last, lo + (width - 1))
            if files > 2 * chunk {
                // One bucket too many: a page or more of its own, cut finer.
                cut(lo - 1)
                for c in try Self.cuts(stream: stream, first: lo, last: hi, count: files, chunk: chunk, histogram: histogram) { cut(c) }
                cut(hi)
                continue
            }
            if inPage + files > 2 * chunk { cut(lo - 1) }
            inPage += files
        }
        return cuts
    }

    /// Where the rows read so far ended, to check that the next come after.
    struct Order {
        fileprivate var last: StreamFinisher.FileRow?
    }

    /// One row of arrays (a page) as the stream's rows, in order (sorted if they came out of
    /// it); a page that does not come after the one before is an error.
    static func rows(_ row: PostgresRandomAccessRow, url: PostgresURL, stream: Int64,
                     order: inout Order) throws(CatalogError) -> [StreamFinisher.FileRow] {
        func bad(_ what: String) -> CatalogError {
            CatalogError(path: url.masked, kind: .corrupt, message: "stream \(stream): the server sent \(what)")
        }
        guard row.count == 7 else { throw bad("\(row.count) columns of its rows, not 7") }
        var columns: [[Int64?]] = []
        for i in 0..<7 {
            guard let values = int8s(row[i]) else { throw bad("a column of its rows that is not a bigint array") }
            columns.append(values)
        }
        let n = columns[0].count
        guard columns.allSatisfy({ $0.count == n }) else { throw bad("columns of its rows of different lengths") }
        var out: [StreamFinisher.FileRow] = []
        out.reserveCapacity(n)
        for i in 0..<n {
            guard let id = columns[0][i], let end = columns[2][i], let source = columns[3][i], let state = columns[4][i],
                  let size = columns[5][i], let error = columns[6][i] else { throw bad("a NULL where its rows have none") }
            out.append(StreamFinisher.FileRow(id: id, start: columns[1][i], end: end, source: source, state: state, size: size, hasError: error != 0))
        }
        if zip(out, out.dropFirst()).contains(where: { !precedes($0, $1) }) { out.sort(by: precedes) }
        if let last = order.last, let first = out.first, !precedes(last, first) { throw bad("pages of its rows out of start order") }
        if let end = out.last { order.last = end }
        return out
    }

    /// The finisher's order: no start first, then start, then id.
    static func precedes(_ a: StreamFinisher.FileRow, _ b: StreamFinisher.FileRow) -> Bool {
        switch (a.start, b.start) {
        case (nil, nil): a.id < b.id
        case (nil, _): true
        case (_, nil): false
        case let (x?, y?): x != y ? x < y : a.id < b.id
        }
    }

    /// A one-dimensional `bigint[]` in binary form, NULL elements as nil; an aggregate of no
    /// rows (NULL) or an empty array as no elements; nil when it is not that.
    static func int8s(_ cell: PostgresCell) -> [Int64?]? {
        guard var b = cell.bytes else { return [] }
        guard let dimensions = b.readInteger(as: Int32.self), b.readInteger(as: Int32.self) != nil,
              let element = b.readInteger(as: UInt32.self) else { return nil }
        if dimensions == 0 { return [] }
        guard dimensions == 1, element == 20, let count = b.readInteger(as: Int32.self), count >= 0,
              b.readInteger(as: Int32.self) != nil else { return nil }
        var out: [Int64?] = []
        out.reserveCapacity(Int(count))
        for _ in 0..<count {
            switch b.readInteger(as: Int32.self) {
            case -1: out.append(nil)
            case 8: guard let v = b.readInteger(as: Int64.self) else { return nil }; out.append(v)
            default: return nil
            }
        }
        return b.readableBytes == 0 ? out : nil
    }
}

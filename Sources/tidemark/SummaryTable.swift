import TidemarkCore

/// The per-category table printed after a scan.
enum SummaryTable {
    static func render(_ rows: [CategorySummary]) -> String {
        guard !rows.isEmpty else { return "  (nothing)" }
        let body = rows.map { r in
            [r.category, Format.count(r.streams), Format.count(r.files), Format.bytes(r.bytes),
             Format.time(r.earliest), Format.time(r.latest), Format.count(r.missing), Format.count(r.deleted), Format.count(r.errors)]
        }
        return Format.table(["CATEGORY", "STREAMS", "FILES", "SIZE", "EARLIEST", "LATEST", "MISSING", "DELETED", "ERRORS"], body,
                            rightAligned: [1, 2, 3, 6, 7, 8])
            .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    }
}

import CFITSIO
import Foundation

/// Writes a Pan-STARRS postage-stamp request file with cfitsio, from the format as published
/// (the binary table PS1_PSTAMP_REQUEST, its header and its columns in their order), not
/// through Tidemark's reader: an empty primary HDU, then the table.
enum RequestTableWriter {
    /// The published columns in order, with the TFORM each is written with (any integer or
    /// floating type is allowed for numbers: ROWNUM is a 16-bit integer here, MJD_MAX a float).
    static let columns: [(name: String, form: String)] = [
        ("ROWNUM", "I"), ("CENTER_X", "D"), ("CENTER_Y", "D"), ("WIDTH", "D"), ("HEIGHT", "D"), ("COORD_MASK", "J"), ("JOB_TYPE", "16A"),
        ("OPTION_MASK", "J"), ("PROJECT", "16A"), ("SURVEY_NAME", "16A"), ("IPP_RELEASE", "16A"), ("REQ_TYPE", "16A"), ("IMG_TYPE", "16A"),
        ("ID", "16A"), ("TESS_ID", "64A"), ("COMPONENT", "64A"), ("DATA_GROUP", "64A"), ("REQFILT", "16A"), ("MJD_MIN", "D"), ("MJD_MAX", "E"),
        ("RUN_TYPE", "16A"), ("FWHM_MIN", "D"), ("FWHM_MAX", "D"), ("COMMENT", "64A"),
    ]

    /// One row: the values Tidemark selects by, the rest fixed as a stamp request by coordinates.
    struct Row {
        var imgType: String
        var component: String
        var mjdMin: Double?
        var mjdMax: Double?
    }

    /// Writes the file; false when cfitsio fails.
    static func write(_ path: String, reqName: String, rows: [Row]) -> Bool {
        var status: Int32 = 0
        var f: UnsafeMutablePointer<fitsfile>?
        unlink(path)
        _ = ffinit(&f, path, &status)
        guard status == 0, let f else { return false }
        defer { ffclos(f, &status) }
        ffcrim(f, 8, 0, nil, &status)
        var names = columns.map { strdup($0.name) }, forms = columns.map { strdup($0.form) }
        defer { for p in names + forms { free(p) } }
        ffcrtb(f, BINARY_TBL, Int64(rows.count), Int32(columns.count), &names, &forms, nil, "PS1_PSTAMP_REQUEST", &status)
        ffpkys(f, "REQ_NAME", reqName, "name of the request", &status)
        ffpkyj(f, "EXTVER", 2, "request format version", &status)
        ffpkys(f, "ACTION", "PROCESS", nil, &status)
        ffpkys(f, "EMAIL", "someone@example.org", nil, &status)
        func column(_ name: String) -> Int32 { Int32(columns.firstIndex { $0.name == name }! + 1) }
        for (i, row) in rows.enumerated() {
            let r = Int64(i + 1)
            var rownum = [Int16(i + 1)]
            ffpcli(f, column("ROWNUM"), r, 1, 1, &rownum, &status)
            for (name, value) in [("CENTER_X", 10.68), ("CENTER_Y", 41.27), ("WIDTH", 200.0), ("HEIGHT", 200.0), ("FWHM_MIN", 0.0), ("FWHM_MAX", 0.0)] {
                var v = [value]
                ffpcld(f, column(name), r, 1, 1, &v, &status)
            }
            for (name, value) in [("COORD_MASK", 2), ("OPTION_MASK", 0)] {
                var v = [value]
                ffpclj(f, column(name), r, 1, 1, &v, &status)
            }
            for (name, value) in [("JOB_TYPE", "stamp"), ("PROJECT", "gpc1"), ("SURVEY_NAME", "null"), ("IPP_RELEASE", "null"),
                                  ("REQ_TYPE", "bycoord"), ("IMG_TYPE", row.imgType), ("ID", "null"), ("TESS_ID", "null"),
                                  ("COMPONENT", row.component), ("DATA_GROUP", "null"), ("REQFILT", "r"), ("RUN_TYPE", "null"),
                                  ("COMMENT", "M31 nucleus")] {
                var p: [UnsafeMutablePointer<CChar>?] = [strdup(value)]
                ffpcls(f, column(name), r, 1, 1, &p, &status)
                free(p[0])
            }
            if let v = row.mjdMin {
                var a = [v]
                ffpcld(f, column("MJD_MIN"), r, 1, 1, &a, &status)
            } else {
                ffpclu(f, column("MJD_MIN"), r, 1, 1, &status)
            }
            if let v = row.mjdMax {
                var a = [Float(v)]
                ffpcle(f, column("MJD_MAX"), r, 1, 1, &a, &status)
            } else {
                ffpclu(f, column("MJD_MAX"), r, 1, 1, &status)
            }
        }
        return status == 0
    }
}

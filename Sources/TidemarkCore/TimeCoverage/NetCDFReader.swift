internal import CNetCDF

/// Reads a file's time coverage through netCDF-C (classic and netCDF-4), from, in order:
///
/// 1. the time coordinate: the variable with `standard_name = time` or `axis = T` (a
///    coordinate variable first), else one named `time` with "X since DATE" units; the
///    least and greatest values, fill/missing/out-of-range values dropped, decoded with
///    `units` and `calendar`. NCAR ISFS `time` values are interval midpoints: the
///    coverage is widened by half the `interval(sec)` attribute;
/// 2. ACDD `time_coverage_start` / `_end`;
/// 3. ISFS/ARM `base_time` + `time_offset`.
///
/// Where two sources disagree by more than a second (beyond the ISFS interval), a note
/// says so. The format is told by magic bytes, not the name; NASA CDF is refused.
public struct NetCDFReader: CoverageReader {
    public var source: TimeSource { .netcdf }

    public init() {}

    static let hdf5Magic: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]

    static func isClassic(_ m: [UInt8]) -> Bool {
        m.count >= 4 && m[0] == 0x43 && m[1] == 0x44 && m[2] == 0x46 && [1, 2, 5].contains(m[3])
    }

    public func recognizes(magic: [UInt8], path: PathBytes) -> Bool {
        // NASA CDF is recognised only to be refused with a clear message.
        Self.isClassic(magic) || magic.starts(with: Self.hdf5Magic.prefix(4)) || magic.starts(with: [0xcd, 0xf3, 0x00, 0x01])
    }

    public func read(_ input: CoverageInput) throws -> CoverageReading {
        try read(path: input.path)
    }

    /// The coverage of the netCDF file at `path`.
    public func read(path: PathBytes) throws -> CoverageReading {
        let file: ReadOnlyFile
        do { file = try ReadOnlyFile(path: path) } catch { throw HeaderReadError(.netcdf, path, "open", error.reason, code: error.errno) }
        var head: [UInt8]
        do { head = try file.read(count: 64 << 10, at: 0) } catch { throw HeaderReadError(.netcdf, path, "read", error.reason, code: error.errno) }
        guard !head.isEmpty else { throw HeaderReadError(.netcdf, path, "read", "the file is empty (0 bytes)") }
        if head.starts(with: [0xcd, 0xf3, 0x00, 0x01]) || head.starts(with: [0x00, 0x00, 0xff, 0xff]) {
            throw HeaderReadError(.netcdf, path, "read", "this is a NASA CDF file (magic cd f3 00 01), not netCDF; Tidemark has no CDF reader")
        }
        let classic = Self.isClassic(head)
        guard classic || head.starts(with: Self.hdf5Magic) else {
            throw HeaderReadError(.netcdf, path, "read", "not a netCDF file: it starts with \(FileKind.describe(head))")
        }

        var notes: [String] = []
        if classic {
            // netCDF-C reads a file cut inside its data as zeros; the header says how long it must be.
            // Checked before nc_open, which spends seconds allocating for absurd counts in a corrupt header.
            var layout: NetCDFClassicLayout?
            var failure: String?
            for attempt in 0..<2 {
                do {
                    layout = try NetCDFClassicLayout.parse(head, wholeFile: Int64(head.count) >= file.size)
                    break
                } catch .needMore where attempt == 0 {
                    do { head = try file.read(count: Int(min(file.size, 64 << 20)), at: 0) } catch { failure = "\(error)"; break }
                } catch .needMore {
                    failure = "its header is larger than 64 MiB"
                } catch .invalid(let why) {
                    failure = why
                    break
                }
            }
            if let failure, layout == nil, !failure.hasPrefix("its header is larger") {
                throw HeaderReadError(.netcdf, path, "read header", "corrupt classic netCDF header: \(failure)")
            }
            if let layout, layout.dataEnd > file.size {
                throw HeaderReadError(.netcdf, path, "check size", "truncated: the header describes \(layout.dataEnd) bytes of data\(layout.recordCount.map { " (\($0) records)" } ?? "") but the file has \(file.size) bytes; netCDF-C would read the missing part as zeros")
            }
            if let failure { notes.append("file size not checked against the header: \(failure)") }
        }

        let nc: NetCDFFile
        do { nc = try NetCDFFile(path: path) } catch {
            // HDF5 reports a cut netCDF-4 file only as "HDF error": say what it is.
            if !classic, let end = HDF5Superblock.declaredEnd(head), end > file.size {
                throw HeaderReadError(.netcdf, path, "open", "truncated: the HDF5 superblock says the file is \(end) bytes but it has \(file.size) (netCDF-C: \(error.reason))", code: error.code)
            }
            throw error
        }
        let variables = try nc.variables()
        let fromValues = try coordinateCoverage(nc, variables, &notes)
        var acddNotes: [String] = []
        let acdd = ACDDAttributes(
            start: try nc.attribute("time_coverage_start", of: nil),
            end: try nc.attribute("time_coverage_end", of: nil),
            duration: try nc.attribute("time_coverage_duration", of: nil)
        ).coverage(&acddNotes)
        let base = try baseTimeCoverage(nc, variables, &notes)

        let chosen: (Coverage, String)? = fromValues.map { ($0.coverage, "time variable '\($0.name)'") }
            ?? acdd.map { ($0, "ACDD time_coverage_start/end") }
            ?? base.map { ($0, "base_time + time_offset") }
        guard let (coverage, from) = chosen else {
            return CoverageReading(coverage: nil, notes: notes + acddNotes + ["no time variable, ACDD time_coverage attributes or base_time"])
        }
        if fromValues == nil || from.hasPrefix("ACDD") { notes += acddNotes }
        if fromValues == nil { notes.insert("time from \(from)", at: 0) }
        let slack = max(Int64(1_000_000), fromValues?.halfInterval ?? 0)
        if let acdd, !from.hasPrefix("ACDD") { Self.compare(coverage, from, acdd, "ACDD time_coverage_start/end", slack, &notes) }
        if let base, !from.hasPrefix("base_time") { Self.compare(coverage, from, base, "base_time + time_offset", slack, &notes) }
        return CoverageReading(coverage: coverage, notes: notes)
    }

    /// A note when two sources' intervals differ by more than `slack` at either end.
    static func compare(_ a: Coverage, _ aName: String, _ b: Coverage, _ bName: String, _ slack: Int64, _ notes: inout [String]) {
        let ds = b.start.microseconds &- a.start.microseconds
        let de = b.end.microseconds &- a.end.microseconds
        guard abs(ds) > slack || abs(de) > slack else { return }
        notes.append("\(bName) \(b) disagrees with the \(aName) \(a) (start \(signed(ds)), end \(signed(de)))")
    }

    static func signed(_ micros: Int64) -> String {
        (micros >= 0 ? "+" : "−") + Instant.durationText(abs(micros))
    }

    // MARK: - Time coordinate

    struct ValuesCoverage {
        var coverage: Coverage
        var name: String
        var halfInterval: Int64
    }

    /// The time variable: standard_name or axis first, a coordinate variable before others.
    private func timeVariables(_ nc: NetCDFFile, _ variables: [NetCDFFile.Variable]) throws -> [NetCDFFile.Variable] {
        var marked: [(NetCDFFile.Variable, Bool)] = []
        var named: [NetCDFFile.Variable] = []
        for v in variables where NetCDFFile.isNumeric(v.type) {
            let standard = try nc.attribute("standard_name", of: v.id)?.text?.trimmingBlanks.lowercased()
            let axis = try nc.attribute("axis", of: v.id)?.text?.trimmingBlanks.uppercased()
            if standard == "time" || axis == "T" {
                let coordinate = v.dimensions.count == 1 ? (try nc.dimension(v.dimensions[0]).name == v.name) : false
                marked.append((v, coordinate))
            } else if v.name.lowercased() == "time" {
                named.append(v)
            }
        }
        return marked.filter(\.1).map(\.0) + marked.filter { !$0.1 }.map(\.0) + named
    }

    private func coordinateCoverage(_ nc: NetCDFFile, _ variables: [NetCDFFile.Variable], _ notes: inout [String]) throws -> ValuesCoverage? {
        for v in try timeVariables(nc, variables) {
            guard let unitsText = try nc.attribute("units", of: v.id)?.text else {
                notes.append("time variable '\(v.name)' has no units")
                continue
            }
            let calendarText = try nc.attribute("calendar", of: v.id)?.text
            guard let units = CFTimeUnits(units: unitsText, calendar: calendarText) else {
                if CFCalendar(attribute: calendarText) == nil {
                    notes.append("time variable '\(v.name)' has calendar '\(calendarText ?? "")', which Tidemark does not know")
                } else if unitsText.lowercased().contains("since") {
                    notes.append("time variable '\(v.name)' has units '\(unitsText)' that Tidemark cannot read")
                }
                continue
            }
            guard let range = try valueRange(nc, v) else {
                if let d = v.dimensions.first, try nc.dimension(d).length == 0 {
                    notes.append("time variable '\(v.name)' has no values")
                } else {
                    notes.append("time variable '\(v.name)' holds only fill or missing values")
                }
                continue
            }
            guard var start = units.instant(for: range.min), var end = units.instant(for: range.max) else {
                notes.append("time variable '\(v.name)' values \(range.min)…\(range.max) \(unitsText) are out of range")
                continue
            }
            if !units.calendar.isReal { notes.append("calendar \(units.calendar.rawValue): dates taken by their labels") }
            if Int32(v.type) == NC_FLOAT {
                // A float32 keeps 24 bits: at 1.4e9 seconds that is steps of 128 s.
                let step = max(abs(range.min), abs(range.max)) * units.unitSeconds / 16_777_216
                if step >= 1 { notes.append("time variable '\(v.name)' is 32-bit float: its values are only good to about \(Instant.durationText(Int64(step * 1_000_000)))") }
            }
            var half: Int64 = 0
            if let interval = try nc.attribute("interval(sec)", of: v.id) {
                let seconds: Double? = switch interval {
                case .numbers(let n): n.first
                default: interval.text.flatMap { Double($0.trimmingBlanks) }
                }
                if let seconds, seconds > 0, let h = Instant.checkedMicroseconds(seconds: seconds / 2),
                   let s = start.adding(microseconds: -h), let e = end.adding(microseconds: h) {
                    // ISFS: each time is the middle of an averaging interval.
                    start = s; end = e; half = h
                    notes.append("ISFS interval(sec) \(seconds): times are interval midpoints, coverage widened by \(seconds / 2) s each side")
                }
            }
            return ValuesCoverage(coverage: Coverage(start: start, end: end), name: v.name, halfInterval: half)
        }
        return nil
    }

    /// Least and greatest stored values after dropping fill, missing and invalid ones,
    /// with scale_factor/add_offset applied.
    private func valueRange(_ nc: NetCDFFile, _ v: NetCDFFile.Variable) throws -> (min: Double, max: Double)? {
        let values = try nc.values(of: v)
        if values.isEmpty { return nil }
        func numbers(_ name: String) throws -> [Double] {
            if case .numbers(let n)? = try nc.attribute(name, of: v.id) { return n }
            return []
        }
        let fill = try numbers("_FillValue").first ?? NetCDFFile.defaultFill(v.type)
        let missing = try numbers("missing_value")
        let range = try numbers("valid_range")
        let low = try numbers("valid_min").first ?? (range.count == 2 ? range[0] : nil)
        let high = try numbers("valid_max").first ?? (range.count == 2 ? range[1] : nil)
        var lo = Double.infinity, hi = -Double.infinity
        for x in values where x.isFinite && x != fill && !missing.contains(x) {
            if let low, x < low { continue }
            if let high, x > high { continue }
            lo = min(lo, x); hi = max(hi, x)
        }
        guard lo <= hi else { return nil }
        let scale = try numbers("scale_factor").first ?? 1
        let offset = try numbers("add_offset").first ?? 0
        let a = lo * scale + offset, b = hi * scale + offset
        return (min(a, b), max(a, b))
    }

    // MARK: - base_time

    /// ARM and ISFS: a scalar `base_time` (seconds since 1970) plus `time_offset` values.
    private func baseTimeCoverage(_ nc: NetCDFFile, _ variables: [NetCDFFile.Variable], _ notes: inout [String]) throws -> Coverage? {
        guard let baseVar = variables.first(where: { $0.name == "base_time" && NetCDFFile.isNumeric($0.type) }) else { return nil }
        let baseValues = try nc.values(of: baseVar)
        guard baseValues.count == 1, let b = baseValues.first, b.isFinite, b != NetCDFFile.defaultFill(baseVar.type) else { return nil }
        let baseUnits = try nc.attribute("units", of: baseVar.id)?.text.flatMap { CFTimeUnits(units: $0) }
            ?? CFTimeUnits(units: "seconds since 1970-01-01T00:00:00Z")!
        guard let base = baseUnits.instant(for: b) else { return nil }
        guard let offsetVar = variables.first(where: { $0.name == "time_offset" && NetCDFFile.isNumeric($0.type) }),
              let range = try valueRange(nc, offsetVar) else {
            return Coverage(start: base, end: base)
        }
        // time_offset counts from base_time, in the unit its units name (seconds by default).
        let unit = try nc.attribute("units", of: offsetVar.id)?.text.flatMap { CFTimeUnits(units: $0)?.unitSeconds } ?? 1
        guard let lo = Instant.checkedMicroseconds(seconds: range.min * unit), let hi = Instant.checkedMicroseconds(seconds: range.max * unit),
              let s = base.adding(microseconds: lo), let e = base.adding(microseconds: hi) else { return nil }
        return Coverage(start: s, end: e)
    }
}

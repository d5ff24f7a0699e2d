import Foundation
import Testing
import TestSupport

/// An IPP-like archive for request tests, on either store: six hourly exposures of chips and
/// of the warps made from them (real FITS headers: DATE-OBS and EXPTIME, ten minutes each),
/// a definition whose chip update command is a real script that writes the chip back from a
/// stash of the originals (or, by its mode file, fails, hangs, writes elsewhere or writes
/// junk), and policies that purge chips once warped and age off warps.
struct RequestWorld {
    let tree = TempTree("requests")
    let stash = temporaryDirectory("stash")
    let elsewhere = temporaryDirectory("elsewhere")
    let home = temporaryDirectory("request-home")
    let store: TestStore
    let db: String
    var catalogs: String { home + "/catalogs" }
    var policies: String { home + "/policies" }
    var log: String { home + "/updates.log" }
    var modeFile: String { home + "/mode" }

    /// A world on `store` with its chips scanned; nil without a PostgreSQL server.
    init?(store: TestStore, pinGrace: String = "1d", timeout: String = "3s", jobs: Int = 2) throws {
        guard let db = try store.freshLocation() else { return nil }
        self.store = store
        self.db = db
        for h in 0..<6 {
            let chip = Self.fits(hour: h, extra: ["FILTER  = 'r.00000'"])
            tree.write("chip/n1/e\(h)/e\(h).ch.fits", contents: chip)
            FileManager.default.createFile(atPath: stash + "/e\(h).ch.fits", contents: Data(chip))
            tree.write("warp/n1/e\(h)/e\(h).wrp.s1.fits", contents: Self.fits(hour: h, extra: ["SKYCELL = 's1'"]))
        }
        let script = home + "/ipp-update"
        try """
            #!/bin/sh
            # ipp-update PATH STREAM START END: regenerates a chip from the stash of originals.
            echo "$1 $2 $3 $4" >> '\(log)'
            mode=$(cat '\(modeFile)' 2>/dev/null)
            name=$(basename "$1")
            case "$mode" in
              fail) echo "exposure not found in the nebulous store" >&2; exit 3 ;;
              hang) sleep 30 ;;
              elsewhere) cp '\(stash)'/"$name" '\(elsewhere)'/"$name"; exit 0 ;;
              junk) mkdir -p "$(dirname "$1")"; echo "not a FITS file" > "$1"; exit 0 ;;
              slow) sleep 2 ;;
            esac
            mkdir -p "$(dirname "$1")" && cp '\(stash)'/"$name" "$1"
            """.write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        try FileManager.default.createDirectory(atPath: catalogs + "/tm", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: policies, withIntermediateDirectories: true)
        try """
            context = "tm/ipp"
            roots = ["\(tree.root)"]
            pin_grace = "\(pinGrace)"

            [[rule]]
            match = "chip/{night}/{exp}/*.ch.fits"
            category = "chip"
            stream = "gpc1"
            time = ["fits", "mtime"]

            [[rule]]
            match = "warp/{night}/{exp}/*.wrp.*.fits"
            category = "warp"
            stream = "gpc1"
            time = ["fits", "mtime"]

            [[update]]
            category = "chip"
            command = ["\(script)", "{path}", "{stream}", "{start}", "{end}"]
            timeout = "\(timeout)"
            jobs = \(jobs)
            """.write(toFile: catalogs + "/tm/ipp.toml", atomically: true, encoding: .utf8)
        try """
            policy = "tm-clean"
            context = "tm/ipp"
            [[rule]]
            kind = "cleanup"
            name = "chips once warped"
            categories = ["chip"]
            covered_by = ["warp"]
            older_than = "1d"
            """.write(toFile: policies + "/tm-clean.toml", atomically: true, encoding: .utf8)
        try """
            policy = "tm-age"
            context = "tm/ipp"
            [[rule]]
            kind = "age-off"
            name = "old warps"
            categories = ["warp"]
            older_than = "1d"
            """.write(toFile: policies + "/tm-age.toml", atomically: true, encoding: .utf8)
        scan()
    }

    /// A FITS primary header (no data) for the exposure of hour `hour` on 2026-11-01: ten minutes.
    static func fits(hour: Int, extra: [String] = []) -> [UInt8] {
        let cards = ["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0",
                     String(format: "DATE-OBS= '2026-11-01T%02d:00:00'", hour), "EXPTIME =                600.0"] + extra + ["END"]
        let text = cards.map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined()
        return Array(text.padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)
    }

    /// `tidemark ARGS --db DB --catalogs DIR`.
    @discardableResult
    func run(_ args: [String], policies usePolicies: Bool = false) throws -> Run {
        try tidemark(args + ["--db", db, "--catalogs", catalogs] + (usePolicies ? ["--policies", policies] : []))
    }

    /// A JSON object or array from `tidemark ARGS --json`, expecting `status`.
    func json(_ args: [String], status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any? {
        let r = try run(args + ["--json"])
        #expect(r.status == status, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
        return try? r.json()
    }

    func scan(sourceLocation: SourceLocation = #_sourceLocation) {
        let r = try? run(["scan", "tm/ipp", "--quiet"])
        #expect(r?.status == 0, "scan: \(r?.stderr ?? "")", sourceLocation: sourceLocation)
    }

    /// Purges chips e0–e4 (the newest is kept) through the cleanup policy: real purged tombstones.
    func purgeChips(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try run(["policy", "run", "tm-clean", "--yes"], policies: true)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/chip/n1/e0/e0.ch.fits"), sourceLocation: sourceLocation)
    }

    func setMode(_ mode: String) { try? mode.write(toFile: modeFile, atomically: true, encoding: .utf8) }

    /// The update log's lines (one per command started).
    var updates: [String] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    /// One SQL statement on the catalog.
    func sql(_ query: String) throws -> String { try store.sql(db, query) }

    func chip(_ h: Int) -> String { tree.root + "/chip/n1/e\(h)/e\(h).ch.fits" }
    func warp(_ h: Int) -> String { tree.root + "/warp/n1/e\(h)/e\(h).wrp.s1.fits" }
}

/// The object of a JSON value at `key`.
func field(_ v: Any?, _ key: String) -> Any? { (v as? [String: Any])?[key] }

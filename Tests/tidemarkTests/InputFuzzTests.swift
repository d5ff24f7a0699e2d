import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The input fuzzer: the real binary, run with generated command-line values (times,
/// durations, sizes, percentages, numbers at their edges) and with mutated copies of the
/// shipped definitions and policies. Every run must end by itself within a time limit,
/// with a documented exit status (0–5, 64): never a trap, never a hang.
///
/// A fixed sequence by default (CI is repeatable); `TIDEMARK_FUZZ_SEED=random` explores,
/// `TIDEMARK_FUZZ_SEED=N` replays, `TIDEMARK_FUZZ_RUNS=N` runs each target N times.
@Suite struct InputFuzzTests {
    static let runs = ProcessInfo.processInfo.environment["TIDEMARK_FUZZ_RUNS"].flatMap(Int.init) ?? 60
    /// A run that takes longer has hung (the slowest here take well under a second).
    static let timeLimit = 30.0
    static let statuses: Set<Int32> = [0, 1, 2, 3, 4, 5, 64]
    let catalogs = packageRoot + "/catalogs"
    let scratch = temporaryDirectory("fuzz-output")

    /// Runs one generated command; records a trap, a hang or an undocumented status with
    /// what replays it.
    func check(_ args: [String], target: String, run: Int, files: [String: String] = [:]) throws {
        let r = try tidemarkBounded(args, timeLimit: Self.timeLimit, scratch: scratch)
        if let status = r.status, Self.statuses.contains(status), !r.timedOut, !r.stderr.contains("Fatal error") { return }
        let what = r.timedOut ? "hung (killed after \(Self.timeLimit) s)" : r.signal.map { "died of signal \($0)" } ?? "exited \(r.status ?? -1)"
        let shown = files.map { "--- \($0.key)\n\($0.value)" }.joined(separator: "\n")
        Issue.record("""
            TIDEMARK_FUZZ_SEED=\(FuzzSeed.value) \(target) run \(run): \(what)
            tidemark \(args.map(Self.quoted).joined(separator: " "))
            \(shown)
            \(r.stderr.prefix(3000))
            """)
    }

    static func quoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_=/.:,%+".contains($0) } && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    // MARK: command-line values

    @Test func queriesNeverTrapOrHang() throws {
        let s = try ScannedIsfs(days: 2)
        var rng = FuzzSeed.generator("queries")
        for run in 0..<Self.runs {
            try check(FuzzCommands.query(&rng, db: s.db), target: "queries", run: run)
        }
    }

    @Test func deletionsAndScansNeverTrapOrHang() throws {
        let s = try ScannedIsfs(days: 2)
        var rng = FuzzSeed.generator("deletions")
        for run in 0..<Self.runs {
            try check(FuzzCommands.deletion(&rng, db: s.db, root: s.tree.root, catalogs: catalogs), target: "deletions", run: run)
        }
    }

    // MARK: definitions and policies

    @Test func mutatedDefinitionsNeverTrapOrHang() throws {
        let tree = TempTree("fuzz-defs")
        makeIsfsTree(tree, days: 1)
        let db = temporaryDirectory("fuzz-defs-db") + "/c.db"
        let dir = temporaryDirectory("fuzz-defs")
        let bases = try ["perdigao/ustar", "ipp/ps1"].map { ($0, try String(contentsOfFile: catalogs + "/\($0).toml", encoding: .utf8)) }
        var rng = FuzzSeed.generator("definitions")
        for run in 0..<Self.runs {
            let (context, base) = bases.randomElement(using: &rng)!
            let text = FuzzTOML.mutate(base, &rng)
            try FileManager.default.createDirectory(atPath: dir + "/" + (context as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: dir + "/\(context).toml", atomically: true, encoding: .utf8)
            let args = Bool.random(using: &rng)
                ? ["scan", context, "--scan", tree.root, "--catalogs", dir, "--db", db, "--quiet"]
                : ["inspect", "--catalogs", dir, "--context", context, tree.root + "/raw_data", "--json"]
            try check(args, target: "definitions", run: run, files: ["\(context).toml": text])
        }
    }

    @Test func mutatedPoliciesNeverTrapOrHang() throws {
        let s = try ScannedIsfs(days: 2)
        let dir = temporaryDirectory("fuzz-policies")
        let bases = try ["ustar-nightly", "ps1-nightly"].map {
            try String(contentsOfFile: packageRoot + "/policies/\($0).toml", encoding: .utf8)
                .replacingOccurrences(of: "context = \"ipp/ps1\"", with: "context = \"perdigao/ustar\"")
        }
        var rng = FuzzSeed.generator("policies")
        for run in 0..<Self.runs {
            let text = FuzzTOML.mutate(bases.randomElement(using: &rng)!, &rng)
            try text.write(toFile: dir + "/p.toml", atomically: true, encoding: .utf8)
            let args = Int.random(in: 0..<10, using: &rng) == 0
                ? ["policy", "run", "p", "--policies", dir, "--db", s.db, "--yes", "--json"]
                : ["policy", "plan", "p", "--policies", dir, "--db", s.db]
            try check(args, target: "policies", run: run, files: ["p.toml": text])
        }
    }
}

/// Values people type, at their edges, and noise around them.
enum FuzzValues {
    static let times = [
        "2017-05-01T12:00:00Z", "20170501", "20170501T1200", "2017-05-01 12", "2017-05-01T12:00:00.123456789Z", "mjd:57874.5",
        "now", "-2d", "+3h", "-0s", "2017-05-01T12:00+25:00", "2017-05-01T12:00-99:99", "2017-05-01T14:00+14:00",
        "2016-12-31T23:59:60Z", "2017-05-01T12:30:60", "2017-02-29", "2017-13-01", "0000-01-01", "9999-12-31T23:59:59Z",
        "mjd:1e300", "mjd:-1e300", "mjd:nan", "mjd:inf", "mjd:", "mjd:1e15", "-99999999999999d", "+99999999999999w",
        "-9223372036854775807s", "-1e308s", "", " ", "２０１７０５０１", "2017-05-01T12:00Z\u{0}", "😀", "-", "+", "T", "1e300",
    ]
    static let numbers = [
        "0", "1", "2", "-1", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "1e300", "-1e300", "nan", "inf",
        "-inf", "", "0.5", "١٢", "1_000", "0x10", "99999999999999999999999999",
    ]
    static let durations = ["10m", "1h", "0", "90min", "99999999999999d", "1e300s", "-5m", "nan", "", "5 parsecs", "1.5h", "9223372036854775807", "2w"]
    static let sizes = ["100G", "2T", "500GiB", "0", "-1G", "1e300", "99999999999999999999P", "9EB", "", "nan", "1.5", "8.9E"]
    static let percents = ["80%", "80", "0.5", "0.5%", "100%", "101%", "-5%", "nan%", "", "1e300%", "1", "0", "99.99%"]
    static let odd: [Character] = ["-", "+", ":", ".", ",", "%", "e", "0", "9", " ", "\u{0}", "é", "😀", "\u{202E}", "٣", "T", "Z", "d", "/"]

    /// A value from `pool`, often changed a little, sometimes a run of digits.
    static func pick(_ pool: [String], _ rng: inout SplitMix) -> String {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0..<6: return pool.randomElement(using: &rng)!
        case 6..<9: return mutate(pool.randomElement(using: &rng)!, &rng)
        default:
            let digits = String((0..<Int.random(in: 1...25, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            return (Bool.random(using: &rng) ? "-" : "") + digits + (["", "d", "s", "G", "%", "w", "e300"].randomElement(using: &rng)!)
        }
    }

    static func mutate(_ s: String, _ rng: inout SplitMix) -> String {
        var c = Array(s)
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let i = Int.random(in: 0...c.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: c.insert(odd.randomElement(using: &rng)!, at: i)
            case 1: if i < c.count { c.remove(at: i) }
            default: if i < c.count { c[i] = odd.randomElement(using: &rng)! }
            }
        }
        return String(c)
    }
}

/// Command lines built from `FuzzValues`.
enum FuzzCommands {
    static let categories = ["merge", "raw/nidas", "raw/dsm", "netcdf/5min", "nonesuch", ""]

    /// `--name value` or `--name=value` (a value that starts with '-' needs the second).
    static func option(_ name: String, _ value: String, _ rng: inout SplitMix) -> [String] {
        Bool.random(using: &rng) ? ["--\(name)", value] : ["--\(name)=\(value)"]
    }

    /// Each optional part is present half the time.
    static func some(_ parts: [[String]], _ rng: inout SplitMix) -> [String] {
        parts.filter { _ in Bool.random(using: &rng) }.flatMap { $0 }
    }

    static func query(_ rng: inout SplitMix, db: String) -> [String] {
        let t = { (rng: inout SplitMix) in FuzzValues.pick(FuzzValues.times, &rng) }
        var args: [String]
        switch Int.random(in: 0..<5, using: &rng) {
        case 0:
            args = ["covers", Bool.random(using: &rng) ? t(&rng) : "\(t(&rng)),\(t(&rng))"]
                + some([option("limit", FuzzValues.pick(FuzzValues.numbers, &rng), &rng), ["--include-gone"], ["--json"]], &rng)
        case 1:
            args = ["find"] + some([option("from", t(&rng), &rng), option("to", t(&rng), &rng),
                                    option("limit", FuzzValues.pick(FuzzValues.numbers, &rng), &rng),
                                    option("state", ["live", "any", "gone", ""].randomElement(using: &rng)!, &rng), ["--json"]], &rng)
        case 2:
            args = ["coverage"] + option("from", t(&rng), &rng) + option("to", t(&rng), &rng)
                + some([option("min-gap", FuzzValues.pick(FuzzValues.durations, &rng), &rng),
                        option("by", ["stream", "category", "planet"].randomElement(using: &rng)!, &rng), ["--json"], ["--csv"]], &rng)
        case 3:
            args = ["report"] + some([option("by", ["context", "category", "stream", "month", "planet"].randomElement(using: &rng)!, &rng),
                                      ["--json"]], &rng)
        default:
            args = ["delete", "--context", "perdigao/ustar", "--categories", categories.randomElement(using: &rng)!]
                + some([option("time", "\(t(&rng)),\(t(&rng))", &rng), option("before", t(&rng), &rng)], &rng)
                + [option("size", FuzzValues.pick(FuzzValues.numbers, &rng), &rng), option("free", FuzzValues.pick(FuzzValues.sizes, &rng), &rng),
                   option("until-usage", FuzzValues.pick(FuzzValues.percents, &rng), &rng)].randomElement(using: &rng)!
                + some([option("keep-newest", FuzzValues.pick(FuzzValues.numbers, &rng), &rng), ["--json"]], &rng)
        }
        return args + ["--db", db]
    }

    static func deletion(_ rng: inout SplitMix, db: String, root: String, catalogs: String) -> [String] {
        if Int.random(in: 0..<5, using: &rng) == 0 {
            return ["scan", "perdigao/ustar", "--scan", root, "--catalogs", catalogs, "--db", db]
                + some([option("threads", ["1", "2", "0", "-1", "x", ""].randomElement(using: &rng)!, &rng), ["--json"], ["--quiet"], ["--reread"]], &rng)
        }
        var args = query(&rng, db: db)
        if args.first != "delete" {
            args = ["delete", "--context", "perdigao/ustar", "--categories", categories.randomElement(using: &rng)!, "--db", db]
                + option("before", FuzzValues.pick(FuzzValues.times, &rng), &rng)
        }
        return args + (Int.random(in: 0..<3, using: &rng) == 0 ? ["--yes"] : [])
    }
}

/// Mutations of definition and policy files: values of the wrong type or out of range,
/// keys missing, doubled or misspelt, `[rule]` for `[[rule]]`, stray bytes, cut text.
enum FuzzTOML {
    static let values = [
        "9223372036854775807", "-9223372036854775808", "-1", "0", "0.9", "1e300", "nan", "inf", "-inf", "true", "\"\"", "[]",
        "[1, \"a\"]", "{ a = 1 }", "1979-05-27T07:32:00Z", "\"x\"", "\"99999999999999d\"", "\"-99999999999999d\"", "\"mjd:1e300\"",
        "\"0.5\"", "\"90%\"", "\"101%\"", "\"1e300G\"", "\"20170501,20170401\"", "\"😀\"", "\"%Y%m%d%H%M%S%j\"", "\"../data/*.dat\"",
        "\"{nope}\"", "\"**\"", "\"/\"", "[\"nidas-samples\", \"header\"]", "[\"dataset\"]", "\"2017-05-01T00:00+25:00\"",
        "\"\\u0000\"", "\"1e400s\"", "14400.5", "99999999999999999999",
    ]
    static let keys = [
        "context", "roots", "ignore", "other_time", "match", "category", "stream", "dataset", "time", "length", "skip", "policy",
        "kind", "name", "categories", "covered_by", "same_stream", "older_than", "when_above", "until_below", "keep_newest",
        "free", "before", "require_copy_on", "description",
    ]

    static func mutate(_ text: String, _ rng: inout SplitMix) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func settingLine(_ rng: inout SplitMix) -> Int? {
            let settings = lines.indices.filter { lines[$0].contains("=") && !lines[$0].hasPrefix("#") }
            return settings.randomElement(using: &rng)
        }
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0:
                if let i = settingLine(&rng), let eq = lines[i].firstIndex(of: "=") {
                    lines[i] = lines[i][...eq] + " " + values.randomElement(using: &rng)!
                }
            case 1: if let i = settingLine(&rng) { lines.remove(at: i) }
            case 2:
                if let i = lines.indices.filter({ lines[$0].hasPrefix("[[") }).randomElement(using: &rng) {
                    lines[i] = lines[i].replacingOccurrences(of: "[[", with: "[").replacingOccurrences(of: "]]", with: "]")
                }
            case 3: if let i = settingLine(&rng) { lines.insert(lines[i], at: i) }
            case 4:
                if let i = lines.indices.randomElement(using: &rng) { lines[i] = FuzzValues.mutate(lines[i], &rng) }
            case 5:
                let cut = Int.random(in: 0...lines.count, using: &rng)
                lines = Array(lines.prefix(cut))
            case 6:
                if let i = settingLine(&rng), let eq = lines[i].firstIndex(of: "=") {
                    lines[i] = keys.randomElement(using: &rng)! + " " + lines[i][eq...]
                }
            default:
                lines.insert("\(keys.randomElement(using: &rng)!) = \(values.randomElement(using: &rng)!)",
                             at: Int.random(in: 0...lines.count, using: &rng))
            }
        }
        return lines.joined(separator: "\n")
    }
}

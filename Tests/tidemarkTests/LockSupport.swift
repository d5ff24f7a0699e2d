import Foundation
import Testing
import TestSupport

/// A `tidemark` run in the background, its output going to files, for tests that act
/// while it works (see `TestHooks`: the pause hook).
final class Started {
    let process: Process
    private let out: String
    private let err: String

    init(_ args: [String], environment: [String: String] = [:]) throws {
        let dir = temporaryDirectory("started")
        out = dir + "/out"
        err = dir + "/err"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        process = tidemarkProcess(args, environment: environment)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    /// Waits until `path` exists (the pause hook's flag) while the process runs.
    func waitFor(_ path: String, timeout: TimeInterval = 30) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: path) { return true }
            usleep(5_000)
        }
        return FileManager.default.fileExists(atPath: path)
    }

    /// Waits for the end, killing the process after `timeout` (a hang fails the test, not the suite).
    func finish(timeout: TimeInterval = 60) -> Run {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        let read = { (p: String) in String(decoding: FileManager.default.contents(atPath: p) ?? Data(), as: UTF8.self) }
        return Run(status: process.terminationStatus, stdout: read(out), stderr: read(err))
    }
}

/// A camera's FITS exposures under a context `cam`, with its own catalog.
struct CameraArchive {
    let tree = TempTree("cam")
    let defs = temporaryDirectory("defs")
    let db: String
    let flag = temporaryDirectory("pause") + "/paused"

    /// Exposures `a.fits`, `b.fits`, `c.fits` an hour apart on 2017-05-01; scanned once unless
    /// told, into `db` (a new SQLite file unless given).
    init(scanned: Bool = true, db: String? = nil) throws {
        self.db = db ?? temporaryDirectory("cam-db") + "/c.db"
        for (i, name) in ["a", "b", "c"].enumerated() {
            tree.write("\(name).fits", contents: CrashGuardTests.fits("2017-05-01T0\(i):00:00"))
        }
        try "roots = [\"\(tree.root)\"]\n[[rule]]\nmatch = \"*.fits\"\ncategory = \"exposure\"\ntime = [\"fits\", \"mtime\"]\n"
            .write(toFile: defs + "/cam.toml", atomically: true, encoding: .utf8)
        if scanned {
            let r = try scan()
            precondition(r.status == 0, r.stderr)
        }
    }

    var scanArguments: [String] { ["scan", "cam", "--catalogs", defs, "--db", db, "--quiet", "--threads", "1"] }

    func scan(_ extra: [String] = [], environment: [String: String] = [:]) throws -> Run {
        try tidemark(scanArguments + extra, environment: environment)
    }

    /// A scan stopped in the middle, on reading `name`'s header; `resume()` lets it go on.
    func pausedScan(at name: String, _ extra: [String] = []) throws -> Started {
        let s = try Started(scanArguments + extra, environment: ["TIDEMARK_TEST_PAUSE_READING": name, "TIDEMARK_TEST_PAUSE_FLAG": flag])
        #expect(s.waitFor(flag), "the scan never reached \(name)")
        return s
    }

    func resume() { try? FileManager.default.removeItem(atPath: flag) }

    /// Ages off the exposures before 02:00 (the newest, c.fits, is kept).
    func delete(yes: Bool = true) throws -> Run {
        try tidemark(["delete", "--context", "cam", "--db", db, "--categories", "exposure", "--before", "2017-05-01T02:00"] + (yes ? ["--yes"] : []))
    }

    /// The catalog state of a file, by name.
    func state(_ name: String) throws -> String {
        try sql(db, "SELECT CASE state WHEN 0 THEN 'live' WHEN 1 THEN 'missing' WHEN 2 THEN 'deleted' ELSE 'purged' END FROM files WHERE CAST(name AS TEXT) = '\(name)'")
    }

    /// The crash guard's reading record beside the catalog (made by the first scan).
    var readingRecord: String? {
        let dir = (db as NSString).deletingLastPathComponent
        return (try? FileManager.default.contentsOfDirectory(atPath: dir))?.first { $0.hasPrefix("c.db.reading-") }.map { dir + "/" + $0 }
    }
}

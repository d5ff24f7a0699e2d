import Foundation
import Testing
import TestSupport
import TidemarkCore

/// How a batch of copies is handed to rsync: the files named in its argv while they fit the
/// budget (a group past it split into several rsyncs), in a list file when they cannot go
/// there (a dataset past the budget alone, a name that is not UTF-8) — every copy full and
/// verified either way, its files there byte for byte.
@Suite struct CopyBatchTests {
    /// A non-UTF-8 file name (0xff) in dataset db4.
    static let oddName: PathBytes = Array("minidvodbs/g/db4/bad".utf8) + [0xff] + Array(".dat".utf8)

    @Test func filesGoInTheArgvUpToItsBudgetAndInAListFileOtherwise() throws {
        let datasets = ["db1": ["a.dat": 300, "b.dat": 20], "db2": ["a.dat": 300, "b.dat": 20], "db3": ["a.dat": 300, "b.dat": 20],
                        "db5": ["a.dat": 10, "b.dat": 10, "c.dat": 10, "d.dat": 10, "e.dat": 10]]
        guard let w = try CopyWorld(.sqlite, datasets, more: { $0.write(Self.oddName, size: 70) }) else { return }
        let dest = temporaryDirectory("batch-dest")
        // rsync as it is, behind a script that notes how it was told the files.
        let bin = temporaryDirectory("batch-bin"), log = bin + "/log"
        try """
            #!/bin/sh
            how=argv; what=copy
            for a in "$@"; do case "$a" in --files-from=*) how=list;; --dry-run) what=verify;; esac; done
            echo "$what $how" >> '\(log)'
            exec /usr/bin/rsync "$@"

            """.write(toFile: bin + "/rsync", atomically: true, encoding: .utf8)
        chmod(bin + "/rsync", 0o755)
        #expect(try w.run(["host", "add", "here"]).status == 0)
        try w.queue("here", dest)
        // One 2-file dataset's paths fit in the budget, two do not; db5's five files alone do not.
        let path = "./minidvodbs/g/db1/a.dat".utf8.count + 1 + 8
        let env = ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"),
                   "TIDEMARK_TEST_RSYNC_ARGUMENT_BUDGET": String(3 * path)]
        let run = try w.run(["copy", "run", "--once"], environment: env)
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let copies = try w.copies()
        #expect(copies.count == 5 && copies.allSatisfy { $0["state"] as? String == "full" && $0["verified"] as? Bool == true }, "\(copies)")
        for d in datasets.keys { #expect(w.arrived(d, at: dest), "\(d)") }
        #expect(Self.sameBytes(w.tree.rootBytes.appendingComponent(Self.oddName), dest.pathBytes.appendingComponent(Self.oddName)))
        // db1, db2, db3 each in an argv of its own; db4 (its name) and db5 (its size) in list
        // files; each verified in-process (this machine's copies need no dry run).
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.sorted() == ["copy argv", "copy argv", "copy argv", "copy list", "copy list"], "\(lines)")
    }

    /// A source file that changes while its copy is made (here: just after rsync sent it) fails
    /// the in-process verification: its copy is a data fault (5) saying so, never full, and
    /// the other dataset of the batch, sent again alone, is full.
    @Test func aSourceChangedDuringTheCopyIsADataFault() throws {
        guard let w = try CopyWorld(.sqlite, ["db1": ["a.dat": 300], "db2": ["a.dat": 300, "b.dat": 40]]) else { return }
        let dest = temporaryDirectory("changed-dest")
        let bin = temporaryDirectory("changed-bin"), grown = w.tree.root + "/minidvodbs/g/db2/b.dat"
        try """
            #!/bin/sh
            /usr/bin/rsync "$@"; status=$?
            printf x >> '\(grown)'
            exit $status

            """.write(toFile: bin + "/rsync", atomically: true, encoding: .utf8)
        chmod(bin + "/rsync", 0o755)
        #expect(try w.run(["host", "add", "here"]).status == 0)
        try w.queue("here", dest)
        let run = try w.run(["copy", "run", "--once"], environment: ["PATH": bin + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")])
        #expect(run.status != 0, "\(run.stdout) \(run.stderr)")
        let db1 = try #require(try w.copy("db1", on: "here")), db2 = try #require(try w.copy("db2", on: "here"))
        #expect(db1["state"] as? String == "full" && db1["verified"] as? Bool == true, "\(db1)")
        #expect(db2["state"] as? String == "fault" && db2["fault"] as? Int == 5 && db2["verified"] as? Bool == false, "\(db2)")
        #expect((db2["message"] as? String)?.contains("differ from the source") == true, "\(db2)")
    }

    /// A batch split into several rsyncs keeps the leases of the copies still waiting their
    /// turn: another run started meanwhile finds nothing to take, and each copy is claimed once.
    @Test func theCopiesWaitingTheirTurnKeepTheirLeases() throws {
        let names = ["db1", "db2", "db3"]
        guard let w = try CopyWorld(.sqlite, Dictionary(uniqueKeysWithValues: names.map { ($0, ["a.dat": 300_000]) })) else { return }
        let dest = temporaryDirectory("waiting-dest")
        #expect(try w.run(["host", "add", "here"]).status == 0)
        try w.queue("here", dest)
        // One dataset per rsync, each taking about 1.5 s; leases of 2 s.
        let env = ["TIDEMARK_TEST_RSYNC_ARGS": "--bwlimit=200", "TIDEMARK_TEST_RSYNC_ARGUMENT_BUDGET": String("./minidvodbs/g/db1/a.dat".utf8.count + 1 + 8)]
        let first = tidemarkProcess(["copy", "run", "--once", "--lease", "2s", "--db", w.db], environment: env)
        try first.run()
        let started = { ((try? FileManager.default.subpathsOfDirectory(atPath: dest)) ?? []).contains { $0.contains("a.dat") } }
        #expect(eventually(started))
        Thread.sleep(forTimeInterval: 2.5)  // past the lease the batch was claimed with
        let second = try w.run(["copy", "run", "--once", "--lease", "2s"])
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(second.status == 3, "\(second.stdout) \(second.stderr)")
        let copies = try w.copies()
        #expect(copies.count == 3 && copies.allSatisfy { $0["state"] as? String == "full" && $0["attempts"] as? Int == 1 }, "\(copies)")
        #expect(names.allSatisfy { w.arrived($0, at: dest) })
    }

    /// Whether both files hold the same bytes (paths as bytes: names need not be text).
    static func sameBytes(_ a: PathBytes, _ b: PathBytes) -> Bool {
        func read(_ p: PathBytes) -> [UInt8]? {
            let fd = (p + [0]).withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_RDONLY) } }
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var out: [UInt8] = [], buf = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buf.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, 4096) }
                if n <= 0 { return out }
                out += buf[0..<n]
            }
        }
        guard let x = read(a), let y = read(b) else { return false }
        return x == y
    }
}

import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The copy queue with the real things: rsync, two sshd servers on two loopback addresses
/// with keys made for the test, this machine as a third host, on both stores.
@Suite struct CopyCommandTests {
    /// Odd names: a space and a newline in a dataset's directory and in a file's name.
    static let odd = "db 2\nx"

    @Test(arguments: StoreKind.allCases)
    func datasetsGoWholeToTwoSSHHostsAndThisMachineVerified(_ store: StoreKind) throws {
        guard let w = try CopyWorld(store, ["db1": ["a.dat": 3000, "b.dat": 10], Self.odd: ["t 1.dat": 2000, "t\n2.dat": 5]]) else { return }
        let a = try SSHServer(address: "127.0.0.2"), b = try SSHServer(address: "127.0.0.3")
        defer { a.stop(); b.stop() }
        let config = try sshConfig(trusting: [a, b])
        let dest = temporaryDirectory("copies-dest") + "/to dir"
        for (name, s) in [("a", a), ("b", b)] {
            let r = try w.run(["host", "add", name, "--ssh", "\(NSUserName())@\(s.address)", "--port", String(s.port), "--identity", s.identity])
            #expect(r.status == 0, "\(r.stderr)")
        }
        #expect(try w.run(["host", "add", "here"]).status == 0)
        for h in ["a", "b", "here"] { try w.queue(h, "\(dest)/\(h)", ["--ssh-config", config]) }
        // At most one copy of a dataset per host: queuing again adds nothing and says why.
        let again = try w.queue("a", "\(dest)/a", ["--ssh-config", config], status: 3)
        #expect(again.stdout.contains("already queued for a"))

        let run = try w.run(["copy", "run", "--once", "--jobs", "3", "--ssh-config", config, "--json"])
        #expect(run.status == 0, "\(run.stdout) \(run.stderr)")
        let copies = try w.copies()
        #expect(copies.count == 6)
        for c in copies {
            #expect(c["state"] as? String == "full" && c["verified"] as? Bool == true && c["fault"] is NSNull, "\(c)")
            #expect((c["bytes"] as? Int ?? 0) > 0 && c["epoch"] is String && c["dtime"] is Double && c["attempts"] as? Int == 1)
        }
        for h in ["a", "b", "here"] {
            #expect(w.arrived("db1", at: "\(dest)/\(h)") && w.arrived(Self.odd, at: "\(dest)/\(h)"), "\(h)")
        }
        // Exactly the datasets went, and nothing at the source was removed.
        #expect(Set(try FileManager.default.subpathsOfDirectory(atPath: "\(dest)/a/minidvodbs/g"))
                == ["db 2\nx", "db 2\nx/t 1.dat", "db 2\nx/t\n2.dat", "db1", "db1/a.dat", "db1/b.dat"])
        #expect(w.arrived("db1", at: w.tree.root) && FileManager.default.fileExists(atPath: w.tree.root + "/minidvodbs/g/\(Self.odd)/t\n2.dat"))
        let hosts = try #require(try w.run(["host", "list", "--json"]).json() as? [[String: Any]])
        #expect(hosts.map { $0["copies"] as? Int } == [2, 2, 2])
        // Nothing left to do.
        #expect(try w.run(["copy", "run", "--once", "--ssh-config", config]).status == 3)
    }

    /// Each fault code produced for real: ssh refused (2), an ssh configuration that does
    /// not trust the host (3), a source that vanished (5), a timeout (6); revert retries 2
    /// and 6 only unless told, and nothing at the source is removed.
    @Test func eachFaultCodeForReal() throws {
        guard let w = try CopyWorld(.sqlite, ["db1": ["a.dat": 100], "db2": ["a.dat": 100, "b.dat": 100], "big": ["big.dat": 600_000]]) else { return }
        let a = try SSHServer(address: "127.0.0.2"), b = try SSHServer(address: "127.0.0.3")
        defer { a.stop(); b.stop() }
        let config = try sshConfig(trusting: [a, b])
        let dest = temporaryDirectory("faults-dest")
        func add(_ name: String, _ s: SSHServer?) throws {
            let ssh = s.map { ["--ssh", "\(NSUserName())@\($0.address)", "--port", String($0.port), "--identity", $0.identity] } ?? []
            #expect(try w.run(["host", "add", name] + ssh).status == 0)
        }
        func fault(_ dataset: String, _ host: String) throws -> Int? { try w.copy(dataset, on: host)?["fault"] as? Int }
        try add("refusing", a); try add("untrusted", b); try add("here", nil); try add("slow", nil)
        for h in ["refusing", "untrusted", "here", "slow"] { try w.queue(h, "\(dest)/\(h)", ["--ssh-config", config]) }

        // 2: sshd is gone.
        a.stop()
        let refused = try w.run(["copy", "run", "--once", "--host", "refusing", "--ssh-config", config])
        #expect(refused.status == 4, "\(refused.stdout) \(refused.stderr)")
        #expect(try fault("db1", "refusing") == 2 && (try w.copy("db1", on: "refusing")?["message"] as? String ?? "").contains("refused"))

        // 3: the host's key is not known to the ssh configuration used (BatchMode: no prompt).
        let empty = temporaryDirectory("ssh-empty") + "/config"
        try "UserKnownHostsFile /dev/null\nGlobalKnownHostsFile /dev/null\nStrictHostKeyChecking yes\n".write(toFile: empty, atomically: true, encoding: .utf8)
        #expect(try w.run(["copy", "run", "--once", "--host", "untrusted", "--ssh-config", empty]).status == 4)
        #expect(try fault("db1", "untrusted") == 3)

        // 6: rsync slowed to a crawl, stopped by --timeout.
        let slow = try w.run(["copy", "run", "--once", "--host", "slow", "--timeout", "2s", "--batch", "1"],
                             environment: ["TIDEMARK_TEST_RSYNC_ARGS": "--bwlimit=20"])
        #expect(slow.status == 4)
        #expect(try fault("big", "slow") == 6)

        // 5: a file of db2 vanishes after it was catalogued and before rsync reads it; db1,
        // sent in the same batch, is still full.
        let flag = temporaryDirectory("faults-flag") + "/paused"
        let p = tidemarkProcess(["copy", "run", "--once", "--host", "here", "--db", w.db], environment: ["TIDEMARK_TEST_COPY_PAUSE_FLAG": flag])
        try p.run()
        #expect(eventually { FileManager.default.fileExists(atPath: flag) })
        try FileManager.default.removeItem(atPath: w.tree.root + "/minidvodbs/g/db2/b.dat")
        try FileManager.default.removeItem(atPath: flag)
        p.waitUntilExit()
        #expect(p.terminationStatus == 4)
        #expect(try fault("db2", "here") == 5 && (try w.copy("db1", on: "here")?["state"] as? String) == "full")
        #expect(try w.copy("big", on: "here")?["state"] as? String == "full")

        // revert: 2 and 6 by default; 3 and 5 only when named.
        let revert = try w.run(["revert", "copies", "--json"])
        #expect(revert.status == 0)
        let reverted = try #require(try revert.json() as? [[String: Any]])
        #expect(Set(reverted.map { $0["fault"] as? Int }) == [2, 6])
        #expect(try fault("db2", "here") == 5 && (try fault("db1", "untrusted")) == 3)
        #expect(try w.copy("big", on: "slow")?["state"] as? String == "new")
        #expect((try w.copy("big", on: "slow")?["message"] as? String ?? "").contains("reverted"))
        #expect(try w.run(["revert", "copies", "--fault", "5", "--host", "here"]).status == 0)
        #expect(try w.copy("db2", on: "here")?["state"] as? String == "new")
        #expect(try w.run(["revert", "copies"]).status == 3)
        #expect(w.arrived("db1", at: w.tree.root) && w.arrived("big", at: w.tree.root))
    }

    /// A destination on a small tmpfs: over 97 % used, no room for the dataset, and one that
    /// fills while rsync runs (fault 2).
    @Test func aSmallDiskIsRefusedOrFillsDuringTheCopy() throws {
        guard let w = try CopyWorld(.sqlite, ["db1": ["a.dat": 1_000_000]]), let disk = mountTmpfs("copies-tmpfs", size: "2m") else { return }
        defer { unmount(disk) }
        #expect(try w.run(["host", "add", "here"]).status == 0)
        // Over 97 %.
        let filler = disk + "/filler"
        FileManager.default.createFile(atPath: filler, contents: Data(count: 2_035_000))
        let full = try w.queue("here", disk + "/to", ["--margin", "0"], status: 3)
        #expect(full.stdout.contains("% used (at most 97.0 %)"), "\(full.stdout)")
        // No room for the dataset plus its margin.
        try FileManager.default.removeItem(atPath: filler)
        let noRoom = try w.queue("here", disk + "/to", ["--margin", "1.5M"], status: 3)
        #expect(noRoom.stdout.contains("no room"), "\(noRoom.stdout)")
        // Fits when queued; the disk fills while the copy is under way.
        try w.queue("here", disk + "/to", ["--margin", "0"])
        let flag = temporaryDirectory("tmpfs-flag") + "/paused"
        let p = tidemarkProcess(["copy", "run", "--once", "--margin", "0", "--db", w.db], environment: ["TIDEMARK_TEST_COPY_PAUSE_FLAG": flag])
        try p.run()
        #expect(eventually { FileManager.default.fileExists(atPath: flag) })
        FileManager.default.createFile(atPath: filler, contents: Data(count: 1_500_000))
        try FileManager.default.removeItem(atPath: flag)
        p.waitUntilExit()
        #expect(p.terminationStatus == 4)
        let c = try #require(try w.copy("db1", on: "here"))
        #expect(c["fault"] as? Int == 2 && c["verified"] as? Bool == false, "\(c)")
        #expect(w.arrived("db1", at: w.tree.root))
    }

    /// `copy run` killed with SIGKILL mid-rsync leaves its copy in run; a run within the
    /// lease does not take it; the next run after the lease resumes it and marks it full only
    /// once verified.
    @Test(arguments: StoreKind.allCases)
    func aRunKilledMidCopyIsResumedAfterItsLease(_ store: StoreKind) throws {
        guard let w = try CopyWorld(store, ["db1": ["big.dat": 1_500_000, "small.dat": 10]]) else { return }
        let dest = temporaryDirectory("killed-dest")
        #expect(try w.run(["host", "add", "here"]).status == 0)
        try w.queue("here", dest)
        let p = tidemarkProcess(["copy", "run", "--once", "--lease", "3s", "--db", w.db], environment: ["TIDEMARK_TEST_RSYNC_ARGS": "--bwlimit=100"])
        try p.run()
        // Mid-rsync: some of the big file is there (rsync's temporary name, --partial).
        let partial = { ((try? FileManager.default.subpathsOfDirectory(atPath: dest)) ?? []).contains { $0.contains("big.dat") } }
        #expect(eventually(partial))
        let rsyncs = childProcesses(of: p.processIdentifier)
        kill(p.processIdentifier, SIGKILL)
        for r in rsyncs { kill(r, SIGKILL) }
        p.waitUntilExit()
        let left = try #require(try w.copy("db1", on: "here"))
        #expect(left["state"] as? String == "run" && left["verified"] as? Bool == false, "\(left)")
        // Within the lease nobody takes it.
        #expect(try w.run(["copy", "run", "--once"]).status == 3)
        #expect(try w.copy("db1", on: "here")?["attempts"] as? Int == 1)
        Thread.sleep(forTimeInterval: 3.5)
        let resumed = try w.run(["copy", "run", "--once"])
        #expect(resumed.status == 0, "\(resumed.stdout) \(resumed.stderr)")
        let done = try #require(try w.copy("db1", on: "here"))
        #expect(done["state"] as? String == "full" && done["verified"] as? Bool == true && done["attempts"] as? Int == 2, "\(done)")
        #expect(w.arrived("db1", at: dest))
    }

    /// Two `copy run`s at once never run the same copy: every copy is claimed once.
    @Test(arguments: StoreKind.allCases)
    func twoRunsAtOnceNeverRunTheSameCopy(_ store: StoreKind) throws {
        let names = (1...8).map { "db\($0)" }
        guard let w = try CopyWorld(store, Dictionary(uniqueKeysWithValues: names.map { ($0, ["a.dat": 20_000]) })) else { return }
        let dest = temporaryDirectory("twice-dest")
        #expect(try w.run(["host", "add", "here"]).status == 0)
        try w.queue("here", dest)
        let runs = (0..<2).map { _ in
            tidemarkProcess(["copy", "run", "--once", "--batch", "1", "--db", w.db], environment: ["TIDEMARK_TEST_RSYNC_ARGS": "--bwlimit=200"])
        }
        for p in runs { try p.run() }
        for p in runs { p.waitUntilExit() }
        #expect(runs.allSatisfy { [0, 3].contains($0.terminationStatus) })
        let copies = try w.copies()
        #expect(copies.count == 8 && copies.allSatisfy { $0["state"] as? String == "full" && $0["attempts"] as? Int == 1 }, "\(copies)")
        #expect(names.allSatisfy { w.arrived($0, at: dest) })
    }

    /// The switches stop cron-run workers (exit 5) until resumed; drop forgets a host's copy
    /// (nothing on disk), which may then be queued again; bad names exit 64.
    @Test func pauseResumeAndDrop() throws {
        guard let w = try CopyWorld(.sqlite, ["db1": ["a.dat": 10], "db2": ["a.dat": 10]]) else { return }
        let dest = temporaryDirectory("switch-dest")
        #expect(try w.run(["host", "add", "here"]).status == 0)
        #expect(try w.run(["copy", "pause", "queue"]).status == 0)
        try w.queue("here", dest, status: 5)
        #expect(try w.run(["copy", "resume", "queue"]).status == 0)
        try w.queue("here", dest)
        #expect(try w.run(["copy", "pause"]).status == 0)
        let paused = try w.run(["copy", "run", "--once"])
        #expect(paused.status == 5 && paused.stderr.contains("copy resume run"))
        #expect(try w.copies().allSatisfy { $0["state"] as? String == "new" })
        #expect(try w.run(["copy", "resume"]).status == 0)
        #expect(try w.run(["copy", "run", "--once"]).status == 0)
        #expect(try w.run(["copy", "drop", "--host", "here", "--dataset", "minidvodbs/g/db1"]).status == 0)
        #expect(try w.copies().map { $0["dataset"] as? String } == ["minidvodbs/g/db2"])
        #expect(w.arrived("db1", at: dest))
        let requeued = try w.queue("here", dest)
        #expect(requeued.stdout.contains("Queued 1 of 2"))
        #expect(try w.run(["copy", "drop", "--host", "nowhere"]).status == 64)
        #expect(try w.run(["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "nowhere", "--path", dest]).status == 64)
        #expect(try w.run(["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "here", "--path", "relative"]).status == 64)
    }
}

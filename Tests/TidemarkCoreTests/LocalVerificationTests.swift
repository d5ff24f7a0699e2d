import Foundation
import Testing
import TestSupport
@testable import TidemarkCore

/// A copy to this machine is verified in-process; these tests hold that comparison to what
/// it replaces: for each kind of difference between a source and its copy, it finds the same
/// files to send again as rsync's verifying dry run, and a vanished source fails both.
@Suite struct LocalVerificationTests {
    static let files = ["a/one.dat", "a/two.dat", "b/c/three.dat", "b/link", "b/c"]

    /// One difference made after a good copy, and how many files it leaves to send.
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var pending: Int
        var change: @Sendable (_ source: String, _ copy: String) -> Void
    }

    static let cases: [Case] = [
        Case(description: "nothing changed", pending: 0) { _, _ in },
        Case(description: "the source grew", pending: 1) { s, _ in append(s + "/a/one.dat") },
        Case(description: "the same size, a second later", pending: 1) { s, _ in shift(s + "/a/two.dat", seconds: 1, nanoseconds: 0) },
        // rsync compares times to the second (and leaves a time of the same second as it is).
        Case(description: "the same second, another nanosecond", pending: 0) { s, _ in shift(s + "/a/two.dat", seconds: 0, nanoseconds: 1) },
        Case(description: "the copy's permissions", pending: 1) { _, c in chmod(c + "/a/one.dat", 0o600) },
        Case(description: "the copy's group", pending: 1) { _, c in chown(c + "/b/c/three.dat", uid_t.max, 4242) },
        Case(description: "the copy's owner", pending: 1) { _, c in chown(c + "/b/c/three.dat", 4242, gid_t.max) },
        Case(description: "the copy removed", pending: 1) { _, c in unlink(c + "/a/two.dat") },
        Case(description: "a directory in the copy's place", pending: 1) { _, c in unlink(c + "/a/two.dat"); mkdir(c + "/a/two.dat", 0o755) },
        Case(description: "the link's target", pending: 1) { s, _ in unlink(s + "/b/link"); symlink("c/other", s + "/b/link") },
        Case(description: "two files", pending: 2) { s, c in append(s + "/a/one.dat"); unlink(c + "/b/c/three.dat") },
        Case(description: "an extra file in the copy", pending: 0) { _, c in FileManager.default.createFile(atPath: c + "/a/extra", contents: Data()) },
    ]

    @Test(arguments: cases)
    func findsWhatTheDryRunFinds(_ c: Case) throws {
        #expect(geteuid() == 0, "the owner case needs root (CI and this machine run as root)")
        let src = TempTree("verify-src"), dst = TempTree("verify-dst")
        src.write("a/one.dat", size: 100)
        src.write("a/two.dat", size: 50)
        src.write("b/c/three.dat", size: 10)
        symlink("c/three.dat", src.root + "/b/link")
        let files = Self.files.map(\.pathBytes)
        let rsync = RsyncCommand(shell: nil)
        var runner = ProcessRunner(timeout: 60)
        runner.workingDirectory = src.root
        let copy = try runner.run(rsync.copy(root: src.rootBytes, files: .arguments(files), destination: dst.rootBytes))
        #expect(copy.status == 0, "\(copy.stderrTail)")
        #expect(LocalVerification(root: src.rootBytes, destination: dst.rootBytes).compare(files) == .pending(0))

        c.change(src.root, dst.root)
        let dry = try runner.run(rsync.verify(root: src.rootBytes, files: .arguments(files), destination: dst.rootBytes))
        #expect(dry.status == 0, "\(dry.stderrTail)")
        let output = String(decoding: dry.stdout, as: UTF8.self)
        #expect(RsyncCommand.pending(dry.stdout) == c.pending, "the dry run: \(output)")
        #expect(LocalVerification(root: src.rootBytes, destination: dst.rootBytes).compare(files) == .pending(c.pending), "the dry run: \(output)")
    }

    @Test func aVanishedSourceFailsBothAsData() throws {
        let src = TempTree("verify-src"), dst = TempTree("verify-dst")
        src.write("a/one.dat", size: 100)
        src.write("a/two.dat", size: 50)
        let files = ["a/one.dat", "a/two.dat"].map(\.pathBytes)
        let rsync = RsyncCommand(shell: nil)
        var runner = ProcessRunner(timeout: 60)
        runner.workingDirectory = src.root
        #expect(try runner.run(rsync.copy(root: src.rootBytes, files: .arguments(files), destination: dst.rootBytes)).status == 0)
        unlink(src.root + "/a/two.dat")
        let dry = try runner.run(rsync.verify(root: src.rootBytes, files: .arguments(files), destination: dst.rootBytes))
        #expect(CopyFaults.fault(status: dry.status, timedOut: false, stderr: dry.stderrTail) == .data, "\(dry.summary)")
        guard case .source(let why) = LocalVerification(root: src.rootBytes, destination: dst.rootBytes).compare(files) else {
            Issue.record("a vanished source was not reported")
            return
        }
        #expect(why.contains("a/two.dat") && why.contains("no such file"), "\(why)")
    }

    @Test func aMissingDestinationLeavesEverythingToSend() {
        let src = TempTree("verify-src")
        src.write("a/one.dat")
        #expect(LocalVerification(root: src.rootBytes, destination: (src.root + "/nowhere").pathBytes).compare(["a/one.dat".pathBytes]) == .pending(1))
    }

    private static func append(_ path: String) {
        let h = FileHandle(forWritingAtPath: path)!
        h.seekToEndOfFile()
        h.write(Data([1]))
        try? h.close()
    }

    /// Moves the file's modification time by the given amount, its size kept.
    private static func shift(_ path: String, seconds: Int, nanoseconds: Int) {
        var st = stat()
        lstat(path, &st)
        var times = [st.st_atim, timespec(tv_sec: st.st_mtim.tv_sec + seconds, tv_nsec: (st.st_mtim.tv_nsec + nanoseconds) % 1_000_000_000)]
        utimensat(AT_FDCWD, path, &times, 0)
    }
}

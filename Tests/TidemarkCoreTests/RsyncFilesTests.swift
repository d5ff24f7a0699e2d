import Foundation
import Testing
import TestSupport
@testable import TidemarkCore

/// rsync told its files in the argv (the fast way) sends and verifies exactly what it does
/// when told them in a list file (the way for names an argv cannot carry): the same tree
/// arrives, odd names are taken as they are (no wildcard, no host, no option), the dry runs
/// find nothing left — or the same files — to send, and a vanished file fails both alike.
@Suite struct RsyncFilesTests {
    /// Listed names, odd on purpose; `decoys` are beside them and must not go.
    static let listed = ["a/x*y", "a/[ab]", "a/sp ace", "a/new\nline", "a/-dash", "a/co:lon", "a/back\\slash", "b/c/plain.dat", "b/c/dir"]
    static let decoys = ["a/xzy", "a/a", "a/b", "a/other", "b/c/dir/inside", "b/d/else"]

    /// Runs `argv` for `mode`, expecting it to start: files in the argv are relative to the root, where rsync starts.
    private func run(_ argv: [String], _ mode: RsyncFiles, root: PathBytes) throws -> ProcessRunner.Outcome {
        var runner = ProcessRunner(timeout: 60)
        if case .arguments = mode { runner.workingDirectory = root.displayPath }
        return try runner.run(argv)
    }

    /// The way to name `files` for each mode, the list file written under `tree`.
    private func modes(_ files: [PathBytes], in tree: TempTree) throws -> [RsyncFiles] {
        let list = tree.root + "/../" + URL(fileURLWithPath: tree.root).lastPathComponent + ".list"
        var bytes: [UInt8] = []
        for f in files { bytes += f + [0] }
        try Data(bytes).write(to: URL(fileURLWithPath: list))
        return [.arguments(files), .listFile(list)]
    }

    @Test func theArgvSendsAndVerifiesWhatAListFileDoes() throws {
        let src = TempTree("rsync-files-src"), dst = TempTree("rsync-files-dst")
        for name in Self.listed + Self.decoys where !name.hasSuffix("/dir") { src.write(name, size: 100) }
        src.write("b/c/dir/inside", size: 5)
        let files = Self.listed.map(\.pathBytes)
        #expect(RsyncFiles.argumentBytes(files, root: src.rootBytes) != nil)
        let rsync = RsyncCommand(shell: nil)
        var arrived: [Set<String>] = []
        for (i, mode) in try modes(files, in: src).enumerated() {
            let to = dst.rootBytes.appendingComponent(Array("to\(i)".utf8))
            let copy = try run(rsync.copy(root: src.rootBytes, files: mode, destination: to), mode, root: src.rootBytes)
            #expect(copy.status == 0, "\(mode): \(copy.stderrTail)")
            let verify = try run(rsync.verify(root: src.rootBytes, files: mode, destination: to), mode, root: src.rootBytes)
            #expect(verify.status == 0 && RsyncCommand.pending(verify.stdout) == 0, "\(mode): \(verify.stderrTail)")
            arrived.append(Set(try FileManager.default.subpathsOfDirectory(atPath: to.displayPath)))
        }
        // Exactly the listed files (a listed directory comes without its contents), and their directories.
        #expect(arrived[0] == Set(Self.listed + ["a", "b", "b/c"]))
        #expect(arrived[0] == arrived[1])

        // A changed file: both dry runs would send it, and only it.
        src.write("a/sp ace", size: 7)
        for (i, mode) in try modes(files, in: src).enumerated() {
            let verify = try run(rsync.verify(root: src.rootBytes, files: mode, destination: dst.rootBytes.appendingComponent(Array("to\(i)".utf8))), mode,
                                 root: src.rootBytes)
            #expect(verify.status == 0 && RsyncCommand.pending(verify.stdout) == 1, "\(mode): \(String(decoding: verify.stdout, as: UTF8.self))")
        }
        // A vanished file: both fail as a data fault.
        unlink(src.root + "/a/co:lon")
        for (i, mode) in try modes(files, in: src).enumerated() {
            let copy = try run(rsync.copy(root: src.rootBytes, files: mode, destination: dst.rootBytes.appendingComponent(Array("again\(i)".utf8))), mode,
                               root: src.rootBytes)
            #expect(CopyFaults.fault(status: copy.status, timedOut: false, stderr: copy.stderrTail) == .data, "\(mode): \(copy.summary)")
        }
    }

    @Test func namesAnArgvCannotCarryGoInAListFile() {
        let root = "/data/root".pathBytes
        #expect(ProcessRunner.canStartInDirectory)
        #expect(RsyncFiles.argumentBytes(["a/b".pathBytes], root: root) == 3 + 3 + 8)
        #expect(RsyncFiles.argumentBytes([], root: root) == 0)
        // Not UTF-8: an argv here is text, and would not carry the name as it is.
        #expect(RsyncFiles.argumentBytes(["a/b".pathBytes, [0x61, 0xff, 0x62]], root: root) == nil)
        #expect(RsyncFiles.argumentBytes(["a".pathBytes], root: [0x2f, 0xfe]) == nil)
    }

    @Test func aProgramStartsInTheDirectoryAsked() throws {
        let tree = TempTree("process-cwd")
        var runner = ProcessRunner(timeout: 30)
        runner.workingDirectory = tree.root
        let r = try runner.run(["pwd", "-P"])
        #expect(String(decoding: r.stdout, as: UTF8.self) == (realpath(tree.root, nil).map { String(cString: $0) } ?? "") + "\n")
    }
}

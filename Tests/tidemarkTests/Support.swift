import Foundation
import Testing
import TestSupport
import TidemarkCore

/// The result of running the `tidemark` binary.
struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    /// A signal ended the process (`status` is then the signal's number).
    var signaled = false
    /// The process outlived its `timeout` and was killed.
    var timedOut = false

    func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(stdout.utf8), options: [.fragmentsAllowed]) }
}

let tidemarkBinary = productsDirectory + "/tidemark"
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

let isRoot = getuid() == 0

/// Runs `tidemark` with arguments; `asNobody` drops to an unprivileged user (as root only),
/// so permission checks apply as they do for a real archive user. `stdoutTo` sends the
/// output to a file (such as /dev/full) instead of `Run.stdout`; after `timeout` seconds
/// the process is killed, so a hang is reported rather than waited for.
@discardableResult
func tidemark(_ args: [String], environment: [String: String] = [:], asNobody: Bool = false, cwd: String? = nil,
              stdoutTo: String? = nil, timeout: Double? = nil) throws -> Run {
    let p = tidemarkProcess(args, environment: environment, asNobody: asNobody, cwd: cwd)
    let out = Pipe(), err = Pipe()
    if let stdoutTo {
        guard let h = FileHandle(forWritingAtPath: stdoutTo) else { throw CocoaError(.fileNoSuchFile) }
        p.standardOutput = h
    } else {
        p.standardOutput = out
    }
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    nonisolated(unsafe) var timedOut = false
    let watchdog = DispatchWorkItem { timedOut = true; kill(p.processIdentifier, SIGKILL) }
    if let timeout { DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog) }
    // Read both pipes concurrently so a large output never blocks the child.
    nonisolated(unsafe) var errData = Data()
    let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    if stdoutTo != nil { try out.fileHandleForWriting.close() }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    watchdog.cancel()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.001) }
    return Run(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self),
               signaled: p.terminationReason == .uncaughtSignal, timedOut: timedOut)
}

/// A `tidemark` process with the test environment, not yet started.
func tidemarkProcess(_ args: [String], environment: [String: String] = [:], asNobody: Bool = false, cwd: String? = nil) -> Process {
    let p = Process()
    if asNobody && isRoot {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", tidemarkBinary] + args
    } else {
        p.executableURL = URL(fileURLWithPath: tidemarkBinary)
        p.arguments = args
    }
    var env = ProcessInfo.processInfo.environment
    env["TIDEMARK_DB"] = nil
    env["TIDEMARK_CATALOGS"] = nil
    for (k, v) in environment { env[k] = v }
    p.environment = env
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    return p
}

/// A small ISFS project tree like the shipped perdigao/ustar definition expects.
func makeIsfsTree(_ tree: TempTree, days: Int = 2) {
    for d in 1...days {
        for h in stride(from: 0, to: 24, by: 4) {
            let stamp = String(format: "201705%02d_%02d0000", d, h)
            tree.write("raw_data/isfs_\(stamp).dat", contents: TempTree.nidasArchive(size: 200))
            tree.write("raw_data/tse01_\(stamp).dat", contents: TempTree.nidasArchive(size: 150))
            tree.write("merge/isfs_\(stamp).dat", contents: TempTree.nidasArchive(size: 300))
        }
        tree.write(String(format: "netcdf/5min/isfs_201705%02d.nc", d), size: 50)
    }
    tree.write("README.txt", size: 5)
}

func makeWorldWritable(_ path: String) {
    chmod(path, 0o777)
}

/// A catalogs directory holding `site/ustar`: the shipped perdigao/ustar layout with `root`.
func siteDefinition(root: String) throws -> String {
    let dir = temporaryDirectory("defs")
    try FileManager.default.createDirectory(atPath: dir + "/site", withIntermediateDirectories: true)
    let text = try String(contentsOfFile: packageRoot + "/catalogs/perdigao/ustar.toml", encoding: .utf8)
        .replacingOccurrences(of: "roots = [\"/data/isfs/projects/Perdigao\"]", with: "roots = [\"\(root)\"]")
        .replacingOccurrences(of: "context = \"perdigao/ustar\"", with: "context = \"site/ustar\"")
    try text.write(toFile: dir + "/site/ustar.toml", atomically: true, encoding: .utf8)
    return dir
}

/// Runs one SQL statement with the sqlite3 shell (a separate process, as a person would).
func sql(_ db: String, _ query: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    p.arguments = [db, query]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Mounts a small tmpfs for one test (a real disk that fills) and returns its path; the
/// test unmounts it with `unmount`. Mounting needs root, as CI runs; elsewhere this records
/// why the test cannot run and returns nil.
func mountTmpfs(_ label: String, size: String) -> String? {
    let dir = temporaryDirectory(label)
    let mounted = isRoot && shell("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir]) == 0
    #expect(mounted, "this test mounts a small tmpfs and needs root (CI runs as root)")
    return mounted ? dir : nil
}

func unmount(_ path: String) { _ = shell("/bin/umount", [path]) }

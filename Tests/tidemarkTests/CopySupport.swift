import Foundation
import Testing
import TestSupport
import TidemarkCore

/// minidvodbs of `ipp/ps1` in a source tree, scanned into a catalog on the store asked for,
/// for the copy suites: `datasets` maps a minidvodb's name (group `g`) to its files and sizes.
struct CopyWorld {
    let tree = TempTree("copies-src")
    let db: String
    let catalogs = packageRoot + "/catalogs"

    /// `more` writes what names cannot say as text (before the scan).
    init?(_ store: StoreKind, _ datasets: [String: [String: Int]], more: (TempTree) -> Void = { _ in }) throws {
        for (name, files) in datasets {
            for (file, size) in files { Self.write(tree, "minidvodbs/g/\(name)/\(file)", size: size) }
        }
        more(tree)
        guard let db = try store.scanned("ipp/ps1", tree.root, catalogs: catalogs) else { return nil }
        self.db = db
    }

    /// Writes a file of `size` bytes that differ from file to file (so a copy is checked byte for byte).
    static func write(_ tree: TempTree, _ relative: String, size: Int) {
        var rng = SplitMix(seed: UInt64(truncatingIfNeeded: relative.hashValue))
        tree.write(relative, contents: (0..<size).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }

    func run(_ args: [String], environment: [String: String] = [:], timeout: Double = 120) throws -> Run {
        try tidemark(args + ["--db", db, "--catalogs", catalogs], environment: environment, timeout: timeout)
    }

    /// `copy list --json`, by dataset name (and host, for several hosts).
    func copies(host: String? = nil) throws -> [[String: Any]] {
        let r = try run(["copy", "list", "--json"] + (host.map { ["--host", $0] } ?? []))
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try r.json() as? [[String: Any]])
    }

    /// The copy of `dataset` (a minidvodb's name) on `host`.
    func copy(_ dataset: String, on host: String) throws -> [String: Any]? {
        try copies(host: host).first { $0["dataset"] as? String == "minidvodbs/g/\(dataset)" }
    }

    /// Queues every minidvodb for `host` at `path`, expecting `status`.
    @discardableResult
    func queue(_ host: String, _ path: String, _ extra: [String] = [], status: Int32 = 0, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Run {
        let r = try run(["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", host, "--path", path] + extra)
        #expect(r.status == status, "copy queue: \(r.stdout) \(r.stderr)", sourceLocation: sourceLocation)
        return r
    }

    /// The bytes of a file, or nil when it is not there.
    static func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// Whether every file of `dataset` arrived under `destination` as it is at the source.
    func arrived(_ dataset: String, at destination: String) -> Bool {
        let dir = "minidvodbs/g/\(dataset)"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: tree.root + "/" + dir), !names.isEmpty else { return false }
        return names.allSatisfy { n in
            let a = Self.contents(tree.root + "/\(dir)/\(n)")
            return a != nil && a == Self.contents(destination + "/\(dir)/\(n)")
        }
    }
}

/// An ssh client configuration that trusts every one of `servers`' host keys.
func sshConfig(trusting servers: [SSHServer]) throws -> String {
    let path = temporaryDirectory("ssh-config") + "/config"
    try """
        UserKnownHostsFile \(servers.map { $0.directory + "/known_hosts" }.joined(separator: " "))
        GlobalKnownHostsFile /dev/null
        StrictHostKeyChecking yes
        LogLevel ERROR

        """.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Waits (up to `seconds`) until `condition` holds.
func eventually(within seconds: Double = 30, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        if Date() > deadline { return false }
        usleep(20_000)
    }
    return true
}

/// The processes whose parent is `pid` (from /proc).
func childProcesses(of pid: pid_t) -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name -> pid_t? in
        guard let child = pid_t(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 && pid_t(fields[1]) == pid ? child : nil
    }
}

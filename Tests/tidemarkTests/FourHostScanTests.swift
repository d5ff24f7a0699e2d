import Foundation
import Synchronization
import Testing
import TestSupport
import TidemarkCore

/// Four scanners as four hosts: four network namespaces, each with its own address on a veth
/// pair, each scanning its own context into one PostgreSQL catalog over that network at once.
/// The catalog must end identical to the four scans run one after another, and each scan's
/// rate at once is reported beside its rate alone. Needs root (`ip netns`) and PostgreSQL's
/// server binaries; the server is the test's own, listening only on the veth addresses.
@Suite(.serialized) struct FourHostScanTests {
    static let hosts = 4
    static let filesPerHost = 6_000

    @Test func fourHostsScanIntoOneCatalogAtOnce() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") || FileManager.default.isExecutableFile(atPath: "/sbin/ip")
        else {
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("the four-host test needs root and iproute2") }
            return
        }
        let net = try Namespaces(count: Self.hosts)
        defer { net.remove() }
        let server = try PrivateServer(listen: net.hostAddresses)
        defer { server.stop() }

        let defs = temporaryDirectory("hosts-defs")
        var trees: [TempTree] = []
        for h in 1...Self.hosts {
            let tree = TempTree("host\(h)")
            Self.fill(tree, host: h)
            trees.append(tree)
            try """
                roots = ["\(tree.root)"]
                [[rule]]
                match = "raw/{dsm}/isfs_%Y%m%d_%H%M%S.dat"
                category = "raw/dsm"
                stream = "{dsm}"
                length = "1h"
                [[rule]]
                match = "sets/{set}/*.dat"
                category = "set"
                stream = "sets"
                dataset = "sets/{set}"
                """.write(toFile: defs + "/host\(h).toml", atomically: true, encoding: .utf8)
        }
        /// Scans host `h`'s tree into `db`; `cpu` is the CPU seconds the scanner used.
        @Sendable func scan(_ h: Int, into db: String) throws -> (seconds: Double, files: Int, cpu: Double) {
            let url = server.url(database: db, from: h)
            // bash's `times` reports its child's CPU, which this process's own counters would mix
            // with the other suites' children.
            let argv = [tidemarkBinary, "scan", "host\(h)", "--db", url, "--catalogs", defs, "--json", "--threads", "1"]
            let r = try net.run(h, ["/bin/bash", "-c", "\"$@\"; s=$?; times >&2; exit $s", "-"] + argv,
                                environment: ["XDG_STATE_HOME": defs + "/state\(h)"])
            #expect(r.status == 0, "host \(h): \(r.stderr)")
            let o = try #require(try r.json() as? [String: Any])
            return (o["seconds"] as? Double ?? 0, o["files"] as? Int ?? 0, Self.childrenCPU(timesOutput: r.stderr))
        }

        // One after another: each host's rate alone, and the cores a scan alone keeps busy
        // (its scanner's CPU and the server's, over its wall time).
        try server.createDatabase("one_by_one")
        var alone: [Double] = []
        var coresBusy: [Double] = []
        for h in 1...Self.hosts {
            let serverBefore = server.cpuSeconds(), started = Date()
            let r = try scan(h, into: "one_by_one")
            let wall = Date().timeIntervalSince(started)
            coresBusy.append((server.cpuSeconds() - serverBefore + r.cpu) / wall)
            #expect(r.files == Self.filesPerHost)
            alone.append(Double(r.files) / max(r.seconds, 0.001))
        }
        // All at once.
        try server.createDatabase("at_once")
        let results = Mutex<[Int: (seconds: Double, files: Int, cpu: Double)]>([:])
        let group = DispatchGroup()
        for h in 1...Self.hosts {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                if let r = try? scan(h, into: "at_once") { results.withLock { $0[h] = r } }
            }
        }
        group.wait()
        let together = results.withLock { $0 }
        #expect(together.count == Self.hosts)
        var lines: [String] = []
        for h in 1...Self.hosts {
            guard let r = together[h] else { continue }
            let rate = Double(r.files) / max(r.seconds, 0.001)
            let share = rate / alone[h - 1]
            lines.append(String(format: "host %d: %.0f files/s at once, %.0f alone (%.0f%%)", h, rate, alone[h - 1], share * 100))
            // Four scanners and the server share this machine's cores: only a loose bound.
            #expect(share >= 0.1, "host \(h) at once reached \(Int(share * 100)) % of its rate alone")
        }
        // Four scans at once need four times the CPU of one on this machine's cores: about
        // cores / (4 × the cores one alone keeps busy) of its rate alone is what the cores allow
        // (an estimate: the suite's other tests share the cores, alone and at once).
        let busy = coresBusy.sorted()[coresBusy.count / 2]
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        lines.append(String(format: "a scan alone keeps %.2f cores busy (scanner and server), so %.0f cores allow each about %.0f%%",
                            busy, cores, min(1, cores / (Double(Self.hosts) * busy)) * 100))
        print("four hosts: " + lines.joined(separator: "; "))

        let sequential = try server.dump("one_by_one"), concurrent = try server.dump("at_once")
        #expect(!sequential.isEmpty)
        let s = sequential.split(separator: "\n"), c = concurrent.split(separator: "\n")
        let diff = zip(s, c).first { $0 != $1 }.map { "'\($0)' vs '\($1)'" } ?? "lengths \(s.count) and \(c.count)"
        #expect(sequential == concurrent, "the catalog differs from four scans one after another: \(diff)")
    }

    /// The children's user and system seconds from bash's `times` (its second line, "0m1.234s 0m0.567s").
    static func childrenCPU(timesOutput: String) -> Double {
        guard let line = timesOutput.split(separator: "\n").last else { return 0 }
        return line.split(separator: " ").reduce(0.0) { sum, field in
            let parts = field.dropLast().split(separator: "m")
            guard parts.count == 2, let m = Double(parts[0]), let sec = Double(parts[1]) else { return sum }
            return sum + m * 60 + sec
        }
    }

    /// Hourly files of a few DSMs over some days, and datasets of a few files each.
    static func fill(_ tree: TempTree, host: Int) {
        let base = 1_493_596_800 + host * 86_400
        let dsms = 5, sets = 100, perSet = 10
        let hourly = (filesPerHost - sets * perSet) / dsms
        for d in 0..<dsms {
            for i in 0..<hourly {
                let c = Instant(seconds: Int64(base + i * 3_600)).civil
                let name = String(format: "isfs_%04d%02d%02d_%02d%02d%02d.dat", c.year, c.month, c.day, c.hour, c.minute, c.second)
                tree.write("raw/dsm\(d)/\(name)", size: 10 + i % 7, mtime: base + i * 3_600 + 3_600)
            }
        }
        for s in 0..<sets {
            for k in 0..<perSet { tree.write("sets/s\(s)/f\(k).dat", size: 3 + k, mtime: base + s * 60 + k) }
        }
    }
}

/// Network namespaces, each joined to the host by a veth pair with addresses of its own
/// (10.231.N.1 on the host side, 10.231.N.2 inside); removed by `remove`, whatever failed.
final class Namespaces: @unchecked Sendable {  // immutable once made
    let count: Int
    private let tag = String(getpid() % 100_000)

    init(count: Int) throws {
        self.count = count
        Self.removeLeftovers()
        do {
            for n in 1...count {
                try ip(["netns", "add", name(n)])
                try ip(["link", "add", hostLink(n), "type", "veth", "peer", "name", nsLink(n)])
                try ip(["link", "set", nsLink(n), "netns", name(n)])
                try ip(["addr", "add", "10.231.\(n).1/24", "dev", hostLink(n)])
                try ip(["link", "set", hostLink(n), "up"])
                try ip(["netns", "exec", name(n), "ip", "addr", "add", "10.231.\(n).2/24", "dev", nsLink(n)])
                try ip(["netns", "exec", name(n), "ip", "link", "set", nsLink(n), "up"])
                try ip(["netns", "exec", name(n), "ip", "link", "set", "lo", "up"])
            }
        } catch {
            remove()
            throw error
        }
    }

    var hostAddresses: [String] { (1...count).map { "10.231.\($0).1" } }

    func name(_ n: Int) -> String { "tm\(tag)h\(n)" }
    private func hostLink(_ n: Int) -> String { "tm\(tag)v\(n)" }
    private func nsLink(_ n: Int) -> String { "tm\(tag)p\(n)" }

    /// Runs a command inside namespace `n`.
    func run(_ n: Int, _ argv: [String], environment: [String: String]) throws -> Run {
        try runProgram("/usr/bin/env", environment.map { "\($0)=\($1)" } + ["ip", "netns", "exec", name(n)] + argv)
    }

    /// Deletes the namespaces (their veth ends, and so the pairs, go with them).
    func remove() {
        for n in 1...count {
            _ = try? runProgram("/usr/bin/env", ["ip", "link", "del", hostLink(n)])
            _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", name(n)])
        }
    }

    /// Namespaces and links an earlier run left when it was killed (its process is gone).
    private static func removeLeftovers() {
        guard let list = try? runProgram("/usr/bin/env", ["ip", "netns", "list"]).stdout else { return }
        for line in list.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix("tm"), let h = name.lastIndex(of: "h"), let pid = Int32(name[name.index(name.startIndex, offsetBy: 2)..<h]),
                  kill(pid, 0) != 0 else { continue }
            _ = try? runProgram("/usr/bin/env", ["ip", "link", "del", "tm\(pid)v" + name[name.index(after: h)...]])
            _ = try? runProgram("/usr/bin/env", ["ip", "netns", "del", name])
        }
    }

    private func ip(_ args: [String]) throws {
        let r = try runProgram("/usr/bin/env", ["ip"] + args)
        guard r.status == 0 else { throw SetupFailure("ip \(args.joined(separator: " ")): \(r.stderr)") }
    }
}

/// A PostgreSQL server of one test, listening on the given addresses (and its socket), with
/// password authentication for the veth networks; stopped and removed by `stop`.
final class PrivateServer: @unchecked Sendable {  // immutable once made
    let port: Int
    private let work: String
    private let bin: String
    private let password = "pw" + String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init(listen addresses: [String]) throws {
        guard let bin = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last
            .map({ "/usr/lib/postgresql/\($0)/bin" }) else { throw SetupFailure("no PostgreSQL server installed") }
        self.bin = bin
        work = temporaryDirectory("pg-hosts")
        port = 20_000 + Int(getpid() % 10_000) + Int.random(in: 0..<20_000)
        try "\(password)\n".write(toFile: work + "/pwfile", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: work + "/sock", withIntermediateDirectories: true)
        _ = try runProgram("/usr/bin/chown", ["-R", "postgres:", work])
        let initdb = try runProgram("/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/initdb", "-D", work + "/data", "-U", "postgres",
                                                          "--pwfile=" + work + "/pwfile", "--auth-local=trust", "--auth-host=scram-sha-256",
                                                          "-E", "UTF8", "--locale=C.UTF-8"])
        guard initdb.status == 0 else { throw SetupFailure(initdb.stderr) }
        try "local all all trust\nhost all all 10.231.0.0/16 scram-sha-256\n".write(toFile: work + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        // The server keeps what it inherits open: its starter's output goes nowhere, not to pipes.
        let start = try runProgram(quiet: true, "/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/pg_ctl", "-D", work + "/data", "-l", work + "/log", "-w", "-t", "30",
                                                         "-o", "-p \(port) -k \(work)/sock -c listen_addresses=\(addresses.joined(separator: ",")) -c fsync=off -c max_connections=100",
                                                         "start"])
        guard start.status == 0 else {
            throw SetupFailure("the server did not start: " + ((try? String(contentsOfFile: work + "/log", encoding: .utf8)) ?? ""))
        }
    }

    /// The URL namespace `n` reaches the server by.
    func url(database: String, from n: Int) -> String { "postgres://postgres:\(password)@10.231.\(n).1:\(port)/\(database)" }

    private var local: String { "postgresql:///postgres?host=\(work)/sock&port=\(port)&user=postgres" }

    func createDatabase(_ name: String) throws { try psql(local, "CREATE DATABASE \(name)") }

    /// The catalog's rows by names, not ids, in a fixed order; scans by context, without times.
    func dump(_ database: String) throws -> String {
        let db = "postgresql:///\(database)?host=\(work)/sock&port=\(port)&user=postgres"
        let queries = [
            "SELECT 'context', name, fingerprint IS NOT NULL FROM contexts ORDER BY name",
            "SELECT 'dir', c.name, encode(d.path, 'escape') FROM dirs d JOIN roots r ON r.id = d.root_id JOIN contexts c ON c.id = r.context_id ORDER BY 2, 3",
            "SELECT 'stream', c.name, s.category, s.name, s.max_duration FROM streams s JOIN contexts c ON c.id = s.context_id ORDER BY 2, 3, 4",
            "SELECT 'dataset', c.name, d.name, d.state, d.start, d.\"end\", d.files, d.bytes FROM datasets d JOIN contexts c ON c.id = d.context_id ORDER BY 2, 3",
            """
            SELECT 'file', c.name, encode(d.path, 'escape'), encode(f.name, 'escape'), f.size, f.mtime, s.category, s.name, ds.name, f.start, f."end",
                   f.source, f.state, f.error, f.notes
            FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id JOIN contexts c ON c.id = r.context_id
            JOIN streams s ON s.id = f.stream_id LEFT JOIN datasets ds ON ds.id = f.dataset_id ORDER BY 2, 3, 4
            """,
            """
            SELECT 'run', c.name, s.category, s.name, r.live, r.start, r."end", r.files, r.bytes FROM coverage_runs r
            JOIN streams s ON s.id = r.stream_id JOIN contexts c ON c.id = s.context_id ORDER BY 2, 3, 4, 5, 6
            """,
            """
            SELECT 'month', c.name, s.category, s.name, m.month, m.files, m.bytes, m.oldest, m.newest, m.missing, m.deleted, m.errors
            FROM stream_months m JOIN streams s ON s.id = m.stream_id JOIN contexts c ON c.id = s.context_id ORDER BY 2, 3, 4, 5
            """,
            """
            SELECT 'scan', c.name, s.status, s.files, s."new", s.changed, s.unchanged, s.missing, s.revived, s.errors, s.bytes
            FROM scans s JOIN contexts c ON c.id = s.context_id ORDER BY 2, s.id
            """,
        ]
        return try queries.map { try psql(db, $0) }.joined(separator: "\n")
    }

    /// CPU seconds the server has used: its postmaster's own and reaped children's, and its
    /// live children's (backends, checkpointer, writers).
    func cpuSeconds() -> Double {
        guard let pidText = try? String(contentsOfFile: work + "/data/postmaster.pid", encoding: .utf8),
              let pid = Int32(pidText.split(separator: "\n").first ?? "") else { return 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // Fields after the command's closing parenthesis: ppid is the 2nd, utime … cstime the 12th to 15th.
        func fields(_ p: String) -> [Substring]? {
            guard let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
            return stat[stat.index(after: close)...].split(separator: " ")
        }
        var total = 0.0
        if let f = fields(String(pid)) { total += f[11...14].compactMap { Double($0) }.reduce(0, +) }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            if let f = fields(entry), Int32(f[1]) == pid { total += f[11...12].compactMap { Double($0) }.reduce(0, +) }
        }
        return total / ticks
    }

    func stop() {
        _ = try? runProgram(quiet: true, "/usr/sbin/runuser", ["-u", "postgres", "--", bin + "/pg_ctl", "-D", work + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: work)
    }
}

/// The four-host test's network or server could not be set up.
struct SetupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a program to its end, its output collected (or dropped when `quiet`).
func runProgram(quiet: Bool = false, _ path: String, _ args: [String]) throws -> Run {
    if quiet {
        // Spawned and waited for directly: Foundation's `Process` never saw `pg_ctl start` end
        // (its server, left running, is the starter's grandchild).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [Int32(0), 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        // Nothing else of the test process: the server counts inherited descriptors against
        // its own (with the whole suite's open it refused to start, "insufficient file descriptors").
        closeInheritedDescriptors(&actions)
        let argv = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw SetupFailure("cannot run \(path): errno \(rc)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return Run(status: (status >> 8) & 0xff, stdout: "", stderr: "")
    }
    let r = try runTool(path, args)
    return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
}

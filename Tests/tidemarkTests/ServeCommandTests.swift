import Foundation
import Testing
import TestSupport
import TidemarkCore
#if canImport(Glibc)
import Glibc
#endif

/// `tidemark serve`: the real binary on a free loopback port over catalogs made by real scans,
/// asked over real sockets as a client would.
@Suite(.serialized) struct ServeCommandTests {
    let catalogs = packageRoot + "/catalogs"

    /// Each endpoint and the CLI command whose `--json` it must equal, on the same catalog.
    static let pairs: [(api: String, cli: [String])] = [
        ("/api/covers?t=2017-05-01T12:00:00Z&limit=100000", ["covers", "2017-05-01T12:00:00Z"]),
        ("/api/covers?t=20170501,20170502&context=perdigao/ustar&include_gone=true&limit=100000",
         ["covers", "20170501,20170502", "--context", "perdigao/ustar", "--include-gone"]),
        ("/api/covers?t=2017-05-01T12:00:00Z&category=raw/nidas&category=merge&stream=isfs&limit=100000",
         ["covers", "2017-05-01T12:00:00Z", "--category", "raw/nidas", "--category", "merge", "--stream", "isfs"]),
        ("/api/find?limit=100000", ["find"]),
        ("/api/find?state=any&context=perdigao/ustar&from=20170501&to=20170502&limit=100000",
         ["find", "--state", "any", "--context", "perdigao/ustar", "--from", "20170501", "--to", "20170502"]),
        ("/api/find?state=missing&state=deleted&limit=100000", ["find", "--state", "missing", "--state", "deleted"]),
        ("/api/coverage?from=20170501&to=20170503", ["coverage", "--from", "20170501", "--to", "20170503"]),
        ("/api/coverage?from=20170501&to=20170503&by=category&min_gap=1h&context=perdigao/ustar",
         ["coverage", "--from", "20170501", "--to", "20170503", "--by", "category", "--min-gap", "1h", "--context", "perdigao/ustar"]),
        ("/api/report", ["report"]),
        ("/api/report?by=month", ["report", "--by", "month"]),
        ("/api/report?by=stream&context=perdigao/ustar", ["report", "--by", "stream", "--context", "perdigao/ustar"]),
        ("/api/datasets", ["dataset", "list"]),
        ("/api/datasets?context=ipp/ps1&state=merged", ["dataset", "list", "--context", "ipp/ps1", "--state", "merged"]),
        ("/api/hosts", ["host", "list"]),
        ("/api/copies", ["copy", "list"]),
        ("/api/copies?state=fault", ["copy", "list", "--state", "fault"]),
        ("/api/copies?host=local&state=full", ["copy", "list", "--host", "local", "--state", "full"]),
        ("/api/requests", ["request", "list"]),
        ("/api/requests?state=fault", ["request", "list", "--state", "fault"]),
        ("/api/dependents", ["dependent", "list"]),
    ]

    @Test(arguments: Store.allCases) func everyEndpointAnswersWhatTheCLIPrints(_ store: Store) throws {
        let (sqlite, trees) = try busyCatalogWithQueues()
        defer { withExtendedLifetime(trees) {} }
        guard let db = try store.db(sqlite) else { return }
        let server = try Served(["--db", db, "--catalogs", catalogs])
        defer { server.stop() }
        for (api, cli) in Self.pairs {
            let served = try server.json(api)
            let printed = try tidemark(cli + ["--json", "--db", db, "--catalogs", catalogs])
            #expect(printed.status == 0, "\(cli): \(printed.stderr)")
            #expect(sameJSON(served, try printed.json()), "\(api) differs from \(cli.joined(separator: " ")) --json:\n\(served)\n\(printed.stdout)")
            // (No dependent here: that needs a definition with an update command, which requests' own tests have.)
            #expect((served as? [Any])?.isEmpty == false || api.hasPrefix("/api/dependents"), "\(api) is empty: the comparison would prove little")
        }
        // The status reads the CLI has no command for: against the store itself.
        let runs = try #require(try server.json("/api/runs") as? [[String: Any]])
        #expect(runs.contains { $0["kind"] as? String == "scan" } && runs.contains { $0["kind"] as? String == "policy" }, "\(runs)")
        let starts = runs.compactMap { $0["started"] as? String }
        #expect(starts == starts.sorted(by: >), "newest first: \(starts)")
        let journal = try #require(try server.json("/api/journal") as? [[String: Any]])
        #expect(!journal.isEmpty && journal.allSatisfy { $0["action"] != nil && $0["intended"] != nil })
        let ids = journal.compactMap { $0["id"] as? Int }
        #expect(try (server.json("/api/journal?since=\(ids[0])") as? [[String: Any]])?.compactMap { $0["id"] as? Int } == Array(ids.dropFirst()))
        let health = try #require(try server.json("/api/health") as? [String: Any])
        #expect(health["status"] as? String == "ok" && (health["contexts"] as? [String]) == ["ipp/ps1", "perdigao/ustar"], "\(health)")
        #expect(try server.request("/api/health", method: "HEAD").body.isEmpty)
        let page = try server.request("/")
        #expect(page.status == 200 && page.text.contains("<h2 class=\"context\">perdigao/ustar</h2>"), "the status page on \(store)")
        #expect(server.stop() == 0, "SIGTERM ends the server cleanly")
    }

    /// Files are written straight to bytes by the server: the very bytes of the CLI's `--json`
    /// (which a terminal gets pretty-printed: compared here without that layout).
    @Test(arguments: Store.allCases) func coversAndFindAnswerTheBytesTheCLIPrints(_ store: Store) throws {
        let (sqlite, trees) = try busyCatalogWithQueues()
        defer { withExtendedLifetime(trees) {} }
        guard let db = try store.db(sqlite) else { return }
        let server = try Served(["--db", db, "--catalogs", catalogs])
        defer { server.stop() }
        for (api, cli) in Self.pairs where api.hasPrefix("/api/covers") || api.hasPrefix("/api/find") {
            let served = try server.request(api)
            let printed = try tidemark(cli + ["--json", "--db", db, "--catalogs", catalogs])
            #expect(served.status == 200 && printed.status == 0, "\(api): \(printed.stderr)")
            #expect(served.body.count > 100, "\(api) is nearly empty: the comparison would prove little")
            #expect(Array(served.body) == compactJSON(printed.stdout), "\(api) differs from \(cli.joined(separator: " ")) --json")
        }
    }

    @Test func everyListPagesWithLimitAndAfter() throws {
        let (db, trees) = try busyCatalogWithQueues()
        defer { withExtendedLifetime(trees) {} }
        let server = try Served(["--db", db, "--catalogs", catalogs])
        defer { server.stop() }
        for base in ["/api/find?state=any", "/api/covers?t=20170501,20170503", "/api/report?by=stream", "/api/runs", "/api/journal",
                     "/api/coverage?from=20170501&to=20170503", "/api/datasets", "/api/hosts", "/api/copies", "/api/requests", "/api/dependents"] {
            let whole = try #require(try server.json(base + (base.contains("?") ? "&" : "?") + "limit=100000") as? [Any])
            var pages: [Any] = [], target: String? = base + (base.contains("?") ? "&" : "?") + "limit=2"
            var count = 0
            while let t = target, count < 1000 {
                let a = try server.request(t)
                #expect(a.status == 200, "\(t): \(a.text)")
                let page = try #require(try a.json() as? [Any])
                #expect(page.count <= 2)
                pages += page
                target = a.headers["link"].map { String($0.dropFirst().prefix { $0 != ">" }) }
                count += 1
            }
            #expect(sameJSON(pages, whole), "\(base): the pages put together are the whole list")
        }
    }

    @Test func responsesMatchTheOpenAPIDocument() throws {
        let (db, trees) = try busyCatalogWithQueues()
        defer { withExtendedLifetime(trees) {} }
        let server = try Served(["--db", db, "--catalogs", catalogs])
        defer { server.stop() }
        let dir = temporaryDirectory("openapi")
        let spec = try server.request("/api/openapi.json")
        #expect(spec.status == 200)
        try spec.body.write(to: URL(fileURLWithPath: dir + "/openapi.json"))
        // Every endpoint the document names, asked; and the errors.
        var answers: [[String: Any]] = []
        let document = try #require(try spec.json() as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var targets = Self.pairs.map(\.api) + ["/api/runs", "/api/journal", "/api/health", "/api/runs?context=ipp/ps1&limit=1"]
        #expect(Set(paths.keys).isSuperset(of: ["/api/covers", "/api/find", "/api/coverage", "/api/report", "/api/datasets", "/api/hosts", "/api/copies", "/api/requests", "/api/dependents",
                                                "/api/runs", "/api/journal", "/api/health", "/api/openapi.json", "/"]))
        for p in paths.keys where p.hasPrefix("/api/") && !targets.contains(where: { $0.hasPrefix(p) }) { targets.append(p) }
        for t in targets + ["/api/covers?t=yesterdayish", "/api/nothing", "/api/find?color=blue"] {
            let a = try server.request(t)
            let path = String(t.prefix { $0 != "?" })
            answers.append(["path": paths[path] == nil ? "/api/health" : path, "status": a.status, "body": try a.json()])
        }
        try JSONSerialization.data(withJSONObject: answers).write(to: URL(fileURLWithPath: dir + "/answers.json"))
        let check = """
            import json, sys
            from jsonschema import Draft202012Validator
            from openapi_spec_validator import validate
            spec = json.load(open(sys.argv[1] + "/openapi.json"))
            answers = json.load(open(sys.argv[1] + "/answers.json"))
            assert spec["openapi"].startswith("3.1")
            validate(spec)  # the document itself is valid OpenAPI 3.1
            for a in answers:
                responses = spec["paths"][a["path"]]["get"]["responses"]
                assert str(a["status"]) in responses or a["status"] == 404, a
                schema = responses["200"]["content"]["application/json"]["schema"] if a["status"] == 200 else {"$ref": "#/components/schemas/Error"}
                Draft202012Validator(dict(schema, components=spec["components"])).validate(a["body"])
                print("valid", a["path"], a["status"])
            """
        try check.write(toFile: dir + "/check.py", atomically: true, encoding: .utf8)
        let r = shellOutput("/usr/bin/env", ["python3", dir + "/check.py", dir])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.components(separatedBy: "valid ").count - 1 == answers.count, "\(r.output)")
    }

    @Test func badRequestsGetTheirStatusAndTheServerKeepsServing() throws {
        let s = try ScannedIsfs()
        let dir = URL(fileURLWithPath: s.db).deletingLastPathComponent().path
        // SQLite's own -wal and -shm aside (any WAL reader opens them where it may, as `find` does).
        func listing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm") }.sorted() }
        let before = listing()
        let bytes = FileManager.default.contents(atPath: s.db)
        let server = try Served(["--db", s.db, "--catalogs", catalogs])
        defer {
            server.stop()
            #expect(listing() == before, "serving created nothing beside the catalog")
            #expect(FileManager.default.contents(atPath: s.db) == bytes, "nor changed it")
        }
        func refused(_ target: String, _ status: Int, parameter: String? = nil, method: String = "GET", sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
            let a = try server.request(target, method: method)
            #expect(a.status == status, "\(method) \(target): \(a.status) \(a.text)", sourceLocation: sourceLocation)
            #expect(a.headers["content-type"] == "application/json", sourceLocation: sourceLocation)
            let body = try a.json() as? [String: Any]
            #expect(body?["error"] is String, "\(a.text)", sourceLocation: sourceLocation)
            if let parameter { #expect(body?["parameter"] as? String == parameter, "\(a.text)", sourceLocation: sourceLocation) }
        }
        try refused("/api/covers?t=not-a-time", 400, parameter: "t")
        try refused("/api/covers", 400, parameter: "t")
        try refused("/api/covers?t=20170502,20170501", 400, parameter: "t")
        try refused("/api/covers?t=20170501&from=20170501", 400, parameter: "t")
        try refused("/api/covers?t=20170501&include_gone=perhaps", 400, parameter: "include_gone")
        try refused("/api/find?limit=-1", 400, parameter: "limit")
        try refused("/api/find?limit=many", 400, parameter: "limit")
        try refused("/api/find?after=x", 400, parameter: "after")
        try refused("/api/find?after=9223372036854775807", 400, parameter: "after")
        try refused("/api/find?state=lost", 400, parameter: "state")
        try refused("/api/find?colour=blue", 400, parameter: "colour")
        try refused("/api/find?context=a&context=b", 400, parameter: "context")
        try refused("/api/coverage?from=20170501", 400, parameter: "to")
        try refused("/api/coverage?from=20170501&to=20170501", 400, parameter: "to")
        try refused("/api/coverage?from=20170501&to=20170502&min_gap=soon", 400, parameter: "min_gap")
        try refused("/api/report?by=colour", 400, parameter: "by")
        try refused("/api/journal?since=-4", 400, parameter: "since")
        try refused("/?days=0", 400, parameter: "days")
        try refused("/?until=someday", 400, parameter: "until")
        try refused("/api/nothing", 404)
        try refused("/nothing/at/all?x=1", 404)
        try refused("/api/covers?t=20170501", 405, method: "POST")
        try refused("/api/covers?t=20170501", 405, method: "DELETE")
        try refused("/api/health", 405, method: "PUT")
        #expect(try server.request("/api/covers", method: "POST").headers["allow"] == "GET, HEAD")
        #expect(try server.json("/api/health") is [String: Any], "still serving")
        #expect(try server.json("/api/covers?t=2017-05-01T12:00:00%2B02:00") is [Any], "a percent-encoded + in an offset")
        // An access log line per request.
        #expect(server.log.contains("GET /api/nothing 404") && server.log.contains("POST /api/covers?t=20170501 405"), "\(server.log)")
    }

    @Test func anotherAddressThanLoopbackNeedsATokenAndEveryRequestCarriesIt() throws {
        let s = try ScannedIsfs()
        let open = try tidemark(["serve", "--bind", "0.0.0.0:0", "--db", s.db], timeout: 20)
        #expect(open.status == 64 && open.stderr.contains("not loopback") && open.stderr.contains("--token"), "\(open.stderr)")
        let short = try tidemark(["serve", "--bind", "127.0.0.1:0", "--token", "abc", "--db", s.db], timeout: 20)
        #expect(short.status == 64 && short.stderr.contains("too short"), "\(short.stderr)")
        let bad = try tidemark(["serve", "--bind", "localhost", "--db", s.db], timeout: 20)
        #expect(bad.status == 64 && bad.stderr.contains("HOST:PORT"), "\(bad.stderr)")
        let missing = try tidemark(["serve", "--db", temporaryDirectory("serve-none") + "/none.db"], timeout: 20)
        #expect(missing.status == 1, "no catalog: \(missing.stderr)")

        let token = "s3cret-token-0123456789"
        let server = try Served(["--db", s.db], token: nil, environment: ["TIDEMARK_TOKEN": token])
        defer { server.stop() }
        #expect(try server.request("/api/health").status == 401)
        let wrong = try server.request("/api/health", headers: ["Authorization": "Bearer s3cret-token-0123456780"])
        #expect(wrong.status == 401 && wrong.headers["www-authenticate"] == "Bearer", "\(wrong.headers)")
        #expect(try server.request("/api/health", headers: ["Authorization": "Bearer s3cret"]).status == 401)
        #expect(try server.request("/api/health", headers: ["Authorization": "Basic czNjcmV0"]).status == 401)
        #expect(try server.request("/", headers: ["Authorization": "Bearer \(token)x"]).status == 401)
        #expect(try server.request("/api/nothing").status == 401, "no token: not even whether a path exists")
        #expect(try server.request("/api/health", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(try server.request("/", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        let taken = try tidemark(["serve", "--bind", "127.0.0.1:\(server.port)", "--db", s.db], timeout: 20)
        #expect(taken.status == 1 && taken.stderr.contains("cannot listen on 127.0.0.1:\(server.port)") && taken.stderr.contains("pick another port"),
                "\(taken.stderr)")
    }

    @Test func theAccessLogIsJSONLinesForMachinesWithJSON() throws {
        let s = try ScannedIsfs()
        let server = try Served(["--db", s.db, "--json"])
        #expect(try server.request("/api/find?limit=1").status == 200)
        #expect(try server.request("/api/none").status == 404)
        server.stop()
        let lines = server.log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let find = lines.first { $0["path"] as? String == "/api/find?limit=1" }
        #expect(find?["status"] as? String == "200" && find?["method"] as? String == "GET" && find?["level"] as? String == "info"
                && find?["ms"] != nil && find?["time"] != nil, "\(server.log)")
        #expect(lines.contains { $0["path"] as? String == "/api/none" && $0["status"] as? String == "404" }, "\(server.log)")
    }

    @Test func aSlowClientHoldingAConnectionLeavesTheServerServing() throws {
        let s = try ScannedIsfs()
        let server = try Served(["--db", s.db])
        defer { server.stop() }
        // Clients that send half a request and then nothing, and one that never reads a long answer.
        var held: [Int32] = []
        for _ in 0..<20 {
            let fd = try loopbackSocket(port: server.port)
            let half = Array("GET /api/find?state=any HTTP/1.1\r\nHost: x\r\nX-Slow: ".utf8)
            _ = half.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            held.append(fd)
        }
        let reader = try loopbackSocket(port: server.port)
        let many = Array(String(repeating: "GET /api/find?state=any HTTP/1.1\r\nHost: x\r\n\r\n", count: 200).utf8)
        _ = many.withUnsafeBytes { send(reader, $0.baseAddress, $0.count, 0) }
        defer { for fd in held + [reader] { close(fd) } }
        let started = Date()
        for _ in 0..<30 { #expect(try server.request("/api/health").status == 200) }
        #expect(Date().timeIntervalSince(started) < 10, "others are answered at once")
        // The slow ones finish their request and get their answer.
        let rest = Array("1\r\n\r\n".utf8)
        _ = rest.withUnsafeBytes { send(held[0], $0.baseAddress, $0.count, 0) }
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(recv(held[0], &buffer, buffer.count, 0) > 12 && String(decoding: buffer.prefix(12), as: UTF8.self) == "HTTP/1.1 200")
    }

    /// `/?until=…&days=…` draws a past window: the timelines of a catalog whose data ended long ago.
    @Test func theStatusPageDrawsAChosenWindow() throws {
        let s = try ScannedIsfs()
        let server = try Served(["--db", s.db, "--catalogs", catalogs, "--now", "2030-01-01T00:00:00Z", "--days", "3"])
        defer { server.stop() }
        let now = try server.request("/")
        #expect(now.status == 200 && now.text.contains("the last 3 days") && !now.text.contains("class=\"data\""), "nothing in the last 3 days of 2029")
        let past = try server.request("/?until=2017-05-03T06:00:00Z&days=2")
        #expect(past.status == 200 && past.text.contains("2 days to 2017-05-03T06:00:00Z"), "\(past.text.prefix(3000))")
        #expect(past.text.contains("class=\"data\"") && past.text.contains("class=\"gap\""), "the window's data and gaps")
        let decade = try server.request("/?until=2020-01-01&days=3660")
        #expect(decade.status == 200 && decade.text.contains("3660 days to 2020-01-01T00:00:00Z") && decade.text.contains("class=\"data\""))
    }

    /// The status page in a real browser: the timeline, the disk bars with watermarks, the
    /// queue counts and a fault with its message.
    @Test func theStatusPageShowsTimelineDisksQueuesAndFaults() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("chromium is not installed (scripts/setup installs it)")
            return
        }
        let s = try ScannedIsfs()
        // A run that skips a file changed since it was catalogued: a fault with its message.
        s.tree.write("raw_data/tse01_20170501_000000.dat", size: 7)
        #expect(try tidemark(["policy", "run", "ustar-nightly", "--policies", packageRoot + "/policies", "--db", s.db, "--yes"]).status == 4)
        // Datasets, and copies: full ones and faulted ones.
        let ipp = try ippTree()
        defer { withExtendedLifetime(ipp) {} }
        #expect(try tidemark(["scan", "ipp/ps1", "--scan", ipp.root, "--db", s.db, "--catalogs", catalogs, "--quiet"]).status == 0)
        try addCopies(s.db)
        try addRequests(s.db, gone: "raw/dsm")
        let server = try Served(["--db", s.db, "--catalogs", catalogs, "--policies", packageRoot + "/policies", "--now", "2017-05-03T06:00:00Z",
                                 "--days", "3"])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let page = try server.request("/")
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(!page.text.contains("<script"), "no JavaScript")
        let dom = shellOutput(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url])
        #expect(dom.status == 0)
        #expect(dom.output.contains("<meta http-equiv=\"refresh\""))
        #expect(dom.output.contains("<h2 class=\"context\">perdigao/ustar</h2>"))
        #expect(dom.output.contains("<svg") && dom.output.contains("class=\"data\"") && dom.output.contains("class=\"gap\""), "the timeline with data and gaps")
        #expect(dom.output.contains("class=\"bar disk\"") && dom.output.contains("mark high") && dom.output.contains("(watermarks 80.0% – 90.0%)"),
                "a disk bar against the policy's watermarks")
        #expect(dom.output.contains("Copies, requests, dependents") && dom.output.contains("<td>copies to local</td><td>full <b class=\"count\">2</b></td>")
                && dom.output.contains("<td>copies to broken</td><td>fault <b class=\"count\">2</b></td>")
                && dom.output.contains("<td>copy faults</td>"), "the copy queue's counts by state, and its faults by code")
        #expect(dom.output.contains("minidvodbs/g/db1 to broken") && dom.output.contains("Not a directory") || dom.output.contains("File exists"),
                "a copy's fault and rsync's message")
        // The raw/dsm request always faults (its files were cleaned up, and it has no update
        // command); the raw/nidas one too when the disk under the test tree is over the
        // policy's 90 % and the run aged its files off: the page shows what the catalog has.
        let requests = try #require(try tidemark(["request", "list", "--db", s.db, "--json"]).json() as? [[String: Any]])
        let gone = requests.filter { $0["fault"] as? Int == 10 }.count
        #expect(gone >= 1)
        #expect(dom.output.contains("<td>requests</td>") && dom.output.contains("<td>request faults</td><td>10 gone <b class=\"count\">\(gone)</b></td>"),
                "requests by state, and their faults by code")
        #expect(dom.output.contains("<td>ipp/ps1 minidvodb</td><td>new <b class=\"count\">2</b></td>"), "datasets by state")
        #expect(dom.output.contains("class=\"fault-message\"") && dom.output.contains("size changed since the scan"), "a skipped action and why")
        #expect(dom.output.contains("policy run</th>") && dom.output.contains("faults"), "the last policy run")
        let shot = temporaryDirectory("serve-shot") + "/status.png"
        let taken = shellOutput(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--screenshot=\(shot)",
                                           "--window-size=1280,1000", url])
        #expect(taken.status == 0 && (try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int ?? 0) ?? 0 > 20_000, "\(taken.output)")
        if let keep = ProcessInfo.processInfo.environment["TIDEMARK_STATUS_SCREENSHOT"] { _ = shellOutput("/bin/cp", [shot, keep]) }
    }
}

/// Runs a program to its end; its status and its stdout and stderr together.
func shellOutput(_ program: String, _ args: [String]) -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: program)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch { return (-1, "\(error)") }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Two minidvodbs of three FITS files each (ipp/ps1), on 2017-05-01 and 02.
func ippTree() throws -> TempTree {
    let ipp = TempTree("serve-ipp")
    for (dvo, day) in [("db1", 1), ("db2", 2)] {
        for h in 0..<3 { ipp.write("minidvodbs/g/\(dvo)/t\(h).fits", contents: TempTree.fitsHeader(dateObs: "2017-05-0\(day)T0\(h):00:00")) }
    }
    return ipp
}

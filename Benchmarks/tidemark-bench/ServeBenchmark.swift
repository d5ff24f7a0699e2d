import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench serve`: `wrk` against `tidemark serve`'s `/api/covers` on the synthetic
/// catalog of `tidemark-bench query`, and the status page's time.
struct ServeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Requests/s and p99 of /api/covers?t=… under wrk (2 threads, 16 connections), and the time of /.",
        discussion: "The catalog is the one `tidemark-bench query` builds (once, in --dir), or --db FILE.")

    @Option(help: "Files in the synthetic catalog (about).") var files = 10_000_000
    @Option(help: ArgumentHelp("Serve this catalog instead (SQLite file or postgres:// URL).", valueName: "FILE|URL")) var db: String?
    @OptionGroup var places: BenchPlaces
    @Option(help: "Seconds of wrk.") var seconds = 10
    @Option(help: "Times the status page is fetched.") var pages = 5

    func run() throws {
        let path: String, span: Span
        if let db {
            path = db
            span = Span(Instant(year: 2014, month: 1, day: 1)!.microseconds, Instant(year: 2024, month: 1, day: 1)!.microseconds)
        } else {
            path = places.dir + "/query-\(files).sqlite"
            span = try SyntheticCatalog.ensure(path: path, files: files)
        }
        let server = Process()
        server.executableURL = URL(fileURLWithPath: places.binary)
        server.arguments = ["serve", "--db", path, "--bind", "127.0.0.1:0", "--days", "30"]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        defer { server.terminate(); server.waitUntilExit() }
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let r = line.range(of: "http://"), let end = line[r.upperBound...].firstIndex(where: { $0 == " " || $0 == "\n" }) else {
            throw BenchError("tidemark serve did not start: \(line)")
        }
        let base = "http://" + line[r.upperBound..<end]

        // Random instants over the catalog's span, one per request.
        let script = places.dir + "/serve-covers.lua"
        try """
            math.randomseed(42)
            request = function()
              local t = \(span.start / 1_000_000) + math.floor(math.random() * \((span.end - span.start) / 1_000_000))
              return wrk.format("GET", "/api/covers?t=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", t))
            end
            """.write(toFile: script, atomically: true, encoding: .utf8)
        // Two seconds unmeasured first, so that the catalog's pages are read in before the ten.
        _ = try capture(["/usr/bin/wrk", "-t2", "-c16", "-d2s", "-s", script, base + "/api/covers"])
        let wrk = try capture(["/usr/bin/wrk", "-t2", "-c16", "-d\(seconds)s", "--latency", "-s", script, base + "/api/covers"])
        let rps = wrk.components(separatedBy: "\n").first { $0.hasPrefix("Requests/sec:") }.map { $0.dropFirst(13).trimmingCharacters(in: .whitespaces) } ?? "?"
        let p99 = wrk.components(separatedBy: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }
            .map { $0.trimmingCharacters(in: .whitespaces).dropFirst(3).trimmingCharacters(in: .whitespaces) } ?? "?"
        let errors = wrk.components(separatedBy: "\n").filter { $0.contains("Non-2xx") || $0.contains("Socket errors") }

        // The page over a window full of data: every stream of the synthetic catalog has files
        // in the 30 days before `until` (its 5-minute streams end after three years).
        let until = Instant(microseconds: span.start + 2 * 365 * 86_400_000_000 + 151 * 86_400_000_000).iso8601
        let pagePath = "/?until=\(until)&days=30"
        let pageFile = places.dir + "/serve-page.html"
        var pageTimes: [Double] = []
        for _ in 0..<pages {
            let t = try capture(["/usr/bin/curl", "-s", "-o", pageFile, "-w", "%{http_code} %{time_total}", base + pagePath])
            let parts = t.split(separator: " ")
            guard parts.first == "200", let s = parts.last.flatMap({ Double($0) }) else { throw BenchError("GET \(pagePath) answered \(t)") }
            pageTimes.append(s)
        }
        let page = (try? String(contentsOfFile: pageFile, encoding: .utf8)) ?? ""
        let drawn = page.components(separatedBy: "class=\"data\"").count - 1
        guard drawn > 0 else { throw BenchError("GET \(pagePath) drew no data: the window misses the catalog") }
        pageTimes.sort()
        print("""
            tidemark-bench serve: \(path)
            wrk -t2 -c16 -d\(seconds)s --latency (after 2 s unmeasured), /api/covers?t=<random instant>: \(rps) requests/s, p99 \(p99)   (goal ≥ 5,000/s, p99 ≤ 10 ms)\(errors.isEmpty ? "" : "\n  " + errors.joined(separator: "\n  "))
            GET \(pagePath) (\(pages)×, \(drawn) runs of data drawn, \(page.utf8.count / 1024) KiB): median \(Stats.ms(pageTimes[pageTimes.count / 2])), max \(Stats.ms(pageTimes.last!))   (goal ≤ 200 ms)
            """)
    }

    /// Runs `argv` and returns its stdout; a failure is an error.
    private func capture(_ argv: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError("\(argv[0]) exited with \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}

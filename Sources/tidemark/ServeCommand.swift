import ArgumentParser
import Foundation
import Logging
import TidemarkCore
import TidemarkServer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalog read-only: a JSON API (/api/…, documented at /api/openapi.json) and a status page at /.",
        discussion: """
            Loopback (127.0.0.1:8750) by default. Any other --bind address needs --token (or $TIDEMARK_TOKEN), \
            and every request must then carry `Authorization: Bearer TOKEN`. The catalog is opened read-only; \
            only GET and HEAD are answered. An access log goes to stderr (JSON lines with --json).

            Exit status: 0 stopped by SIGINT or SIGTERM, 1 could not run (no catalog, the address is taken), 64 bad command line.
            """)

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var policySearch: PolicySearch
    @Option(help: ArgumentHelp("Listen on HOST:PORT (port 0: a free one, printed).", valueName: "HOST:PORT")) var bind = "127.0.0.1:8750"
    @Option(help: ArgumentHelp("Every request must carry `Authorization: Bearer TOKEN` (default $TIDEMARK_TOKEN).", valueName: "TOKEN"))
    var token: String?
    @Option(help: "Days of coverage the status page draws (1-3660).") var days = 7
    @Option(help: "Seconds between the status page's reloads (5-86400).") var refresh = 60
    @Flag(help: "Log JSON lines for machines instead of text.") var json = false
    @Option(help: ArgumentHelp("Serve as of this time instead of the clock (for tests).", visibility: .hidden)) var now: String?

    func validate() throws {
        guard (1...3660).contains(days) else { throw ValidationError("--days \(days): give 1 to 3660") }
        guard (5...86_400).contains(refresh) else { throw ValidationError("--refresh \(refresh): give 5 to 86400 seconds") }
    }

    func run() throws {
        TidemarkServer.runTasksOnEventLoops()
        try exitReporting {
            let address: ServeAddress, needed: String?
            do {
                address = try ServeAddress(parsing: bind)
                needed = try requiredToken(bind: address, token: token ?? catalog.environment["TIDEMARK_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
            } catch { throw ValidationError("\(error)") }
            let fixed = try now.map { try parseTime($0, option: "--now", now: currentInstant) }
            let served = ServedCatalog(store: try catalog.openServedStore(), definitions: catalog.library, policies: policySearch.library,
                                       now: { fixed ?? currentInstant })
            let logJSON = json
            LoggingSystem.bootstrap { label in
                if logJSON { return JSONLogHandler(label: label) }
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = .info
                return h
            }
            let server = TidemarkServer(catalog: served, bind: address, token: needed, days: days, refreshSeconds: refresh,
                                        logger: Logger(label: "tidemark.serve"))
            let path = served.store.path
            try Self.block {
                try await server.run { listening in
                    try? Output.print("tidemark serve: listening on http://\(listening) (catalog \(path))")
                }
            }
        }
    }

    /// Runs the server to its end on the cooperative pool, this thread waiting.
    private static func block(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await body() } catch { failure = error }
            done.signal()
        }
        done.wait()
        if let listen = failure as? ServeError { throw Failure.runtime(listen.description) }
        if let failure { throw Failure.runtime("the server stopped: \(failure)") }
    }
}

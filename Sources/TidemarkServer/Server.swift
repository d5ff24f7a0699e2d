import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import TidemarkCore

/// `tidemark serve`: the JSON API, its OpenAPI document and the status page, read-only, over
/// one catalog.
public struct TidemarkServer: Sendable {
    public var catalog: ServedCatalog
    public var bind: ServeAddress
    /// The token every request must carry; nil: none (loopback only: `requiredToken`).
    public var token: String?
    /// Days of coverage the status page draws.
    public var days: Int
    /// Seconds between the status page's reloads.
    public var refreshSeconds: Int
    public var logger: Logger

    public init(catalog: ServedCatalog, bind: ServeAddress, token: String?, days: Int, refreshSeconds: Int = 60, logger: Logger) {
        self.catalog = catalog; self.bind = bind; self.token = token; self.days = days; self.refreshSeconds = refreshSeconds; self.logger = logger
    }

    /// Runs Swift concurrency's tasks on NIO's event loop threads instead of a pool of their
    /// own: a request's handler then starts on the thread that read it, not after a hop to
    /// another. Call before any task starts; false when too late (tasks run where they did).
    @discardableResult
    public static func runTasksOnEventLoops() -> Bool {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// Serves until SIGINT or SIGTERM; `onListening` is told the address actually bound (the
    /// port chosen when 0 was asked).
    public func run(onListening: @escaping @Sendable (ServeAddress) -> Void) async throws {
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.add(middleware: Guards(token: token.map { Array($0.utf8) }, logger: logger))
        let catalog = self.catalog
        for endpoint in Endpoints.all {
            router.get(RouterPath(endpoint.path)) { request, _ -> Response in
                let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
                let answer = try await NIOThreadPool.singleton.runIfActive {
                    let q = try QueryParameters(pairs, accepted: endpoint.parameters, now: catalog.now())
                    return try endpoint.answer(q, catalog)
                }
                return Self.respond(answer, request: request)
            }
        }
        router.get("/api/openapi.json") { request, _ in
            Self.respond(Answer(body: OpenAPIDocument.json), request: request)
        }
        let days = self.days, refresh = self.refreshSeconds
        router.get("/") { request, _ -> Response in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let page = try await NIOThreadPool.singleton.runIfActive {
                let q = try QueryParameters(pairs, accepted: StatusPage.parameters, now: catalog.now())
                let window = try StatusPage.window(q, days: days)
                return StatusPage.render(try StatusReport.read(catalog, days: window.days, until: window.until), refreshSeconds: refresh)
            }
            return Self.respond(Answer(body: Data(page.utf8), contentType: "text/html; charset=utf-8"), request: request)
        }
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(bind.host, port: bind.port), serverName: "tidemark"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? bind.port
                onListening(ServeAddress(host: bind.host, port: port))
            },
            logger: logger)
        do { try await app.runService() } catch let e as IOError {
            let taken = e.errnoCode == EADDRINUSE ? ": another program listens there; pick another port with --bind HOST:PORT" : ""
            throw ServeError.cannotListen("cannot listen on \(bind): \(String(cString: strerror(e.errnoCode)))\(taken)")
        }
    }

    /// The answer with its type, never cached, and the next page's link.
    static func respond(_ answer: Answer, request: Request) -> Response {
        var headers: HTTPFields = [.contentType: answer.contentType, .cacheControl: "no-store"]
        if let next = answer.next { headers[HTTPField.Name("Link")!] = "<\(nextURL(path: request.uri.path, query: request.uri.query, after: next))>; rel=\"next\"" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// The request's URL with `after` set to `next` (other parameters kept as sent).
    static func nextURL(path: String, query: String?, after next: String) -> String {
        let kept = (query ?? "").split(separator: "&").filter { !$0.hasPrefix("after=") && $0 != "after" }
        return path + "?" + (kept + ["after=\(next)"]).joined(separator: "&")
    }
}

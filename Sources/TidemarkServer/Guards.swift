import Foundation
import Hummingbird
import Logging
import TidemarkCore

/// The front of every request: the access log line, the token, the method, and every
/// failure turned into a JSON error with its status (unknown paths 404, never HTML).
struct Guards<Context: RequestContext>: RouterMiddleware {
    /// The bytes every request's `Authorization: Bearer …` must carry; nil: none needed.
    let token: [UInt8]?
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await guarded(request, context: context, next: next)
        } catch let e as APIError {
            response = Self.error(e)
        } catch let e as HTTPError where e.status == .notFound {
            response = Self.error(.notFound(request.uri.path))
        } catch let e as CatalogError {
            response = Self.error(.catalog("\(e)"))
        } catch {
            response = Self.error(APIError(status: 500, error: "\(error)", parameter: nil))
        }
        let elapsed = ContinuousClock.now - started
        // Hundredths of a millisecond, as "%.2f" wrote them (without its cost on every request).
        let hundredths = Int((Double(elapsed.components.seconds) * 1e5 + Double(elapsed.components.attoseconds) / 1e13).rounded())
        let ms = "\(hundredths / 100)." + (hundredths % 100 < 10 ? "0" : "") + "\(hundredths % 100)"
        logger.info("\(request.method) \(request.uri) \(response.status.code)", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.description), "status": .stringConvertible(response.status.code),
            "ms": .string(ms),
        ])
        return response
    }

    private func guarded(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token {
            let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? Array($0.utf8.dropFirst(7)) : nil }
            guard let given, Self.same(given, token) else { throw APIError.unauthorized }
        }
        guard request.method == .get || request.method == .head else { throw APIError.methodNotAllowed(request.method.rawValue) }
        return try await next(request, context)
    }

    /// Compares in time that depends only on the lengths, not on where the bytes differ.
    static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { diff |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return diff == 0
    }

    /// The JSON answer of an error; 401 says how to authenticate, 405 what is allowed.
    static func error(_ e: APIError) -> Response {
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store"]
        if e.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        if e.status == 405 { headers[.allow] = "GET, HEAD" }
        let body = (try? JSONText.encode(e)) ?? Data("{\"error\":\"internal\"}".utf8)
        return Response(status: .init(code: e.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

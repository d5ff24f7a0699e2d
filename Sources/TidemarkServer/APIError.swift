
/// A request the API refuses, answered as `{"error": …, "parameter": …}` with its status.
public struct APIError: Error, Sendable, Encodable {
    /// The HTTP status.
    public var status: Int
    /// What is wrong and what to do, for a person.
    public var error: String
    /// The query parameter at fault, when one is.
    public var parameter: String?

    /// A bad query parameter: 400 naming it.
    public static func badParameter(_ name: String, _ message: String) -> APIError {
        APIError(status: 400, error: "\(name): \(message)", parameter: name)
    }

    /// No such path: 404.
    public static func notFound(_ path: String) -> APIError {
        APIError(status: 404, error: "no such path '\(path)'; /api/openapi.json lists the endpoints", parameter: nil)
    }

    /// A method other than GET and HEAD: 405 (the server changes nothing).
    public static func methodNotAllowed(_ method: String) -> APIError {
        APIError(status: 405, error: "\(method) is not allowed: the server is read-only and answers GET and HEAD", parameter: nil)
    }

    /// No token, or the wrong one: 401.
    public static let unauthorized = APIError(status: 401, error: "this server needs `Authorization: Bearer TOKEN` (the token it was started with)",
                                              parameter: nil)

    /// The catalog could not be read: 503, with its message.
    public static func catalog(_ message: String) -> APIError { APIError(status: 503, error: message, parameter: nil) }

    private enum CodingKeys: String, CodingKey { case error, parameter, status }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(error, forKey: .error); try c.encode(parameter, forKey: .parameter); try c.encode(status, forKey: .status)
    }
}

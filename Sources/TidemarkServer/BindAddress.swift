/// Where the server listens: `HOST:PORT` (`[::1]:8750` for IPv6); loopback unless told otherwise.
public struct ServeAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    /// The default: loopback, port 8750.
    public static let standard = ServeAddress(host: "127.0.0.1", port: 8750)

    public init(host: String, port: Int) { self.host = host; self.port = port }

    /// Parses `HOST:PORT`, `[V6]:PORT` or `:PORT` (loopback); port 0 picks a free one.
    public init(parsing text: String) throws(ServeError) {
        let bad = ServeError.usage("--bind '\(text)' is not HOST:PORT (127.0.0.1:8750, [::1]:8750, 0.0.0.0:8750; port 0 picks a free one)")
        guard let colon = text.lastIndex(of: ":") else { throw bad }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".:-".contains($0)) }) else { throw bad }
        self.init(host: host, port: port)
    }

    /// Loopback only: 127.0.0.0/8, ::1 or `localhost`.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" || (host.hasPrefix("127.") && host.split(separator: ".").count == 4)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why the server will not start, said for a person.
public enum ServeError: Error, Sendable, CustomStringConvertible {
    /// A bad command line (exit 64).
    case usage(String)
    /// The address cannot be bound (exit 1).
    case cannotListen(String)

    public var description: String {
        switch self { case .usage(let m), .cannotListen(let m): m }
    }
}

/// The token rule: loopback needs none; any other address needs one, and then every request
/// must carry it. Returns the token requests must carry (nil: none).
public func requiredToken(bind: ServeAddress, token: String?) throws(ServeError) -> String? {
    if let token, token.isEmpty { throw .usage("the token is empty: give --token TOKEN (or $TIDEMARK_TOKEN) with at least 16 characters") }
    if let token, token.count < 16 { throw .usage("the token is too short (\(token.count) characters): use at least 16, e.g. `openssl rand -hex 16`") }
    if !bind.isLoopback && token == nil {
        throw .usage("--bind \(bind) is not loopback: anyone who can reach it could read the catalog. Give --token TOKEN "
                     + "(or $TIDEMARK_TOKEN); every request must then carry `Authorization: Bearer TOKEN`")
    }
    return token
}

import PostgresNIO
import TidemarkCore

/// PostgreSQL errors as CatalogErrors: the kind from the SQLSTATE or the connection's
/// failure, the server's own words, and the URL with its password masked.
enum PostgresErrorMapping {
    static func catalogError(_ error: any Error, url: PostgresURL, connecting: Bool) -> CatalogError {
        if let e = error as? CatalogError { return e }
        let passwordHint = "give the password in the URL, $PGPASSWORD or ~/.pgpass (mode 0600)"
        guard let p = error as? PSQLError else {
            return CatalogError(path: url.masked, kind: connecting ? .cannotOpen : .other, message: "\(error)", cause: error)
        }
        if let info = p.serverInfo {
            let state = info[.sqlState] ?? ""
            var message = "the server said: \(info[.message] ?? "an error") (SQLSTATE \(state))"
            if state == "28P01" || state == "28000" { message += "; check the user and \(passwordHint)" }
            return CatalogError(path: url.masked, kind: kind(sqlState: state), message: message, cause: error)
        }
        let reason = p.underlying.map { "\($0)" } ?? "\(p.code)"
        switch p.code {
        case .connectionError:
            return CatalogError(path: url.masked, kind: connecting ? .cannotOpen : .connectionLost,
                                message: "cannot connect to \(url.host):\(url.port): \(reason)", cause: error)
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return CatalogError(path: url.masked, kind: .connectionLost, message: "the connection to \(url.host):\(url.port) was lost: \(reason)", cause: error)
        case .sslUnsupported:
            return CatalogError(path: url.masked, kind: .cannotOpen, message: "the server does not offer TLS, which sslmode=\(url.tls.rawValue) asks for", cause: error)
        case .authMechanismRequiresPassword:
            return CatalogError(path: url.masked, kind: .cannotOpen, message: "the server asks for a password: \(passwordHint)", cause: error)
        default:
            return CatalogError(path: url.masked, kind: .other, message: "\(p.code): \(reason)", cause: error)
        }
    }

    /// The kind of a server error, from its SQLSTATE class or code.
    static func kind(sqlState: String) -> CatalogError.Kind {
        switch sqlState {
        case "40001", "40P01": return .serializationFailure
        case "53100": return .full
        case "25006", "42501": return .readOnly
        case "28P01", "28000", "3D000": return .cannotOpen
        case "57P01", "57P02", "57P03": return .connectionLost
        case "58030": return .io
        case "XX001", "XX002": return .corrupt
        default: return sqlState.hasPrefix("08") ? .connectionLost : .other
        }
    }
}

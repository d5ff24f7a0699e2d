import Foundation
import TidemarkCore

/// A PostgreSQL catalog's address, read from `postgres://` or `postgresql://`
/// `USER:PASSWORD@HOST:PORT/DATABASE?sslmode=…`, as libpq reads it: the port defaults to
/// 5432, the user to `$PGUSER` or the login name, the database to the user.
public struct PostgresURL: Sendable, Equatable {
    /// How the connection uses TLS (libpq's `sslmode`).
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it (libpq's default).
        case prefer
        /// TLS or no connection; the certificate is not checked (as libpq's `require`).
        case require
        /// TLS, and the certificate must be valid for the host.
        case verifyFull = "verify-full"
    }

    public var user: String
    /// The password the URL itself carries (shown nowhere; see `masked`).
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode
    /// The URL as given, its password masked: what every message shows.
    public var masked: String

    /// Parses `text`; a malformed URL is a `CatalogError` (kind cannotOpen) that says what is
    /// wrong and never shows the password.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(CatalogError) {
        masked = CatalogLocation.maskingPassword(text)
        let shown = masked
        func bad(_ why: String) -> CatalogError {
            CatalogError(path: shown, kind: .cannotOpen, message: "\(why); write it as postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=require]")
        }
        guard case .postgres = CatalogLocation(text) else { throw bad("not a postgres:// or postgresql:// URL") }
        guard let c = URLComponents(string: text) else { throw bad("not a valid URL") }
        let login = environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["USER"] ?? NSUserName()
        user = c.user.flatMap { $0.isEmpty ? nil : $0 } ?? login
        password = c.password
        // An IPv6 literal comes bracketed (`[::1]`); the connection wants the bare address.
        host = c.host.flatMap { $0.isEmpty ? nil : $0 }.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 } ?? "localhost"
        port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw bad("port \(port) is out of range") }
        let path = c.path.hasPrefix("/") ? String(c.path.dropFirst()) : c.path
        guard !path.contains("/") else { throw bad("the database name '\(path)' holds a '/'") }
        database = path.isEmpty ? user : path
        tls = .prefer
        for item in c.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                switch value {
                case "disable", "allow": tls = .disable
                case "prefer": tls = .prefer
                case "require", "verify-ca": tls = value == "verify-ca" ? .verifyFull : .require
                case "verify-full": tls = .verifyFull
                default: throw bad("sslmode '\(value)' is not one of disable, prefer, require, verify-full")
                }
            case "password": password = value
            case "user": user = value
            case "dbname": database = value
            case "application_name", "connect_timeout": break
            default: throw bad("the parameter '\(item.name)' is not known (sslmode, user, password, dbname are)")
            }
        }
    }

    /// The password to send: the URL's, else `$PGPASSWORD`, else the first matching line of
    /// the password file (`$PGPASSFILE` or `~/.pgpass`, only when no one but its owner may
    /// read it, as libpq requires); nil when none is given.
    public func resolvedPassword(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let password { return password }
        if let p = environment["PGPASSWORD"], !p.isEmpty { return p }
        let file = environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.pgpass")
        return PGPass.password(file: file, host: host, port: port, database: database, user: user)
    }
}

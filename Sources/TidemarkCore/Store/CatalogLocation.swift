import Foundation

/// Where a catalog lives, told apart from the `--db` / `$TIDEMARK_DB` text: a PostgreSQL
/// URL names a server, anything else is a SQLite file path (never a `postgres:` directory).
public enum CatalogLocation: Sendable, Equatable {
    /// A SQLite catalog file.
    case sqlite(path: String)
    /// A PostgreSQL catalog, as the URL the user gave (it may hold a password: show `masked`).
    case postgres(url: String)

    /// Reads `--db` text: `postgres://` and `postgresql://` (any case) name a server.
    public init(_ text: String) {
        let lower = text.lowercased()
        if lower.hasPrefix("postgres://") || lower.hasPrefix("postgresql://") {
            self = .postgres(url: text)
        } else {
            self = .sqlite(path: text)
        }
    }

    /// The location for messages: a URL's password replaced by `***`.
    public var masked: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return CatalogLocation.maskingPassword(url)
        }
    }

    /// `url` with the password of its user-info (`user:password@`) replaced by `***`, and any
    /// `password=` query parameter too, so no message ever carries it.
    public static func maskingPassword(_ url: String) -> String {
        var out = url
        if let scheme = out.range(of: "://") {
            let authorityEnd = out[scheme.upperBound...].firstIndex(where: { $0 == "/" || $0 == "?" }) ?? out.endIndex
            // The last `@` of the authority ends the user-info (a password may hold `@`).
            if let at = out[scheme.upperBound..<authorityEnd].lastIndex(of: "@"),
               let colon = out[scheme.upperBound..<at].firstIndex(of: ":") {
                out.replaceSubrange(out.index(after: colon)..<at, with: "***")
            }
        }
        if let query = out.firstIndex(of: "?") {
            let params = out[out.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { p in
                p.lowercased().hasPrefix("password=") ? "password=***" : String(p)
            }
            out = String(out[...query]) + params.joined(separator: "&")
        }
        return out
    }
}

import Foundation
import TidemarkCore

/// An endpoint's answer: JSON bytes, and the cursor of the next page when there is one.
struct Answer: Sendable {
    var body: Data
    var contentType = "application/json"
    /// The `after` value that fetches the next page; nil on the last page.
    var next: String?

    /// `value` encoded as the CLI's `--json` encodes it.
    static func json<T: Encodable>(_ value: T, next: String? = nil) throws -> Answer {
        // Files (`covers`, `find`), the answers asked most, are written directly: the same bytes.
        if let entries = value as? [CatalogEntry] { return Answer(body: Data(CatalogEntryJSON.encode(entries)), next: next) }
        return Answer(body: try JSONText.encode(value), next: next)
    }
}

/// Paging with `limit` and `after` on every list: `after` is the cursor the previous page's
/// `Link: <…>; rel="next"` header gave (a position in the list's order).
enum Paging {
    /// Items per page when `limit` is not given, and the most one page may hold.
    static let defaultLimit = 1000, maxLimit = 100_000
    /// The furthest position a cursor may name.
    static let maxAfter = 1_000_000_000

    /// The two parameters every list takes.
    static let parameters = [
        Parameter(name: "limit", kind: .integer(0...maxLimit), summary: "At most this many items (default \(defaultLimit))."),
        Parameter(name: "after", kind: .cursor, summary: "Start after this cursor: the `after` of the previous page's `Link: rel=\"next\"` header."),
    ]

    /// One page of the list `fetch` reads (asked for at most `n` items, in a stable order):
    /// the items after the cursor, and the next cursor when more follow.
    static func page<T: Encodable>(_ q: QueryParameters, _ fetch: (Int) throws -> [T]) throws -> Answer {
        let limit = try q.integer("limit", in: 0...maxLimit) ?? defaultLimit
        let offset = try cursor(q)
        let all = try fetch(offset + limit + 1)
        let items = Array(all.dropFirst(offset).prefix(limit))
        let more = all.count > offset + limit
        return try .json(items, next: more ? String(offset + limit) : nil)
    }

    /// The position `after` names (0 when absent).
    static func cursor(_ q: QueryParameters) throws(APIError) -> Int {
        guard let text = q.string("after") else { return 0 }
        // Positions past the largest catalog's row count are refused rather than read through.
        guard let n = Int(text), (0...maxAfter).contains(n) else {
            throw .badParameter("after", "'\(text)' is not a cursor; use the one the `Link: rel=\"next\"` header gave")
        }
        return n
    }
}

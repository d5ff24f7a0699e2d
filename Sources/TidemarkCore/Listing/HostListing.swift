/// A destination host as `host list --json` and `/api/hosts` show it (no `address`, `port` or
/// `identity` key for this machine or ssh's defaults).
public struct HostListing: Sendable, Encodable {
    public let name: String, address: String?, port: Int?, identity: String?, state: String, on: Bool, copies: Int, added: String, changed: String

    /// The host as the catalog holds it, with the number of its copies (in every state).
    public init(_ h: HostRecord, copies: Int) {
        name = h.host.name; address = h.host.sshDestination; port = h.host.port; identity = h.host.identity
        state = h.state.rawValue; on = h.enabled
        self.copies = copies
        added = h.added.iso8601; changed = h.changed.iso8601
    }
}

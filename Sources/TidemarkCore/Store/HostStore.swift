/// Destination hosts of copies: added once by name, then put up, in repair or down, and
/// switched on or off for copies.
public protocol HostStore: AnyObject, Sendable {
    /// Adds `host` at `at`; false (nothing changed) when a host of that name exists.
    func addHost(_ host: HostAddress, at: Instant) throws(CatalogError) -> Bool
    /// Sets the state of host `name`; false when there is no such host.
    func setHostState(_ name: String, _ state: HostState, at: Instant) throws(CatalogError) -> Bool
    /// Switches copies to host `name` on or off; false when there is no such host.
    func setHostEnabled(_ name: String, _ enabled: Bool, at: Instant) throws(CatalogError) -> Bool
    /// Every host, by name.
    func hosts() throws(CatalogError) -> [HostRecord]
}

/// Whether a host takes part in copies; stored by its name.
public enum HostState: String, Sendable, CaseIterable, Codable {
    /// New copies are allocated to it, and it is read.
    case up
    /// It is read, but no new copies go to it.
    case repair
    /// Neither.
    case down
}

/// A host's name and how it is reached.
public struct HostAddress: Sendable, Hashable {
    /// The name copies and commands use for it.
    public var name: String
    /// The ssh login name; nil for ssh's default.
    public var user: String?
    /// The ssh address (a host name or IP address); nil for this machine, paths used directly.
    public var address: String?
    /// The ssh port; nil for ssh's default.
    public var port: Int?
    /// The ssh identity file (absolute); nil for ssh's default.
    public var identity: String?

    /// A host reached as given.
    public init(name: String, user: String? = nil, address: String? = nil, port: Int? = nil, identity: String? = nil) {
        self.name = name; self.user = user; self.address = address; self.port = port; self.identity = identity
    }

    /// `[user@]address` as ssh takes it; nil for this machine.
    public var sshDestination: String? { address.map { a in user.map { "\($0)@\(a)" } ?? a } }
}

/// A host as the catalog holds it.
public struct HostRecord: Sendable, Hashable {
    /// Its name and address.
    public var host: HostAddress
    /// Up, in repair or down.
    public var state: HostState
    /// Whether copies to it are switched on.
    public var enabled: Bool
    /// When it was added.
    public var added: Instant
    /// When its state or switch last changed (or it was added).
    public var changed: Instant

    /// A host as a store reads it.
    public init(host: HostAddress, state: HostState, enabled: Bool, added: Instant, changed: Instant) {
        self.host = host; self.state = state; self.enabled = enabled; self.added = added; self.changed = changed
    }
}

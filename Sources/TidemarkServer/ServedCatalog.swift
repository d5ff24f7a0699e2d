import TidemarkCore

/// The stores the server reads: queries and status reads, datasets, hosts, copies, requests.
public typealias ServedStore = QueryStore & DatasetStore & HostStore & CopyStore & RequestStore

/// Everything the server reads, opened once by the command: the catalog (read-only), the
/// context definitions (datasets' states) and the policies (roots' watermarks).
public struct ServedCatalog: Sendable {
    /// The catalog, opened read-only.
    public var store: any ServedStore
    /// Context definitions: the state machines of datasets.
    public var definitions: DefinitionLibrary
    /// Policy files: the watermarks the status page draws against each root's disk usage.
    public var policies: PolicyLibrary
    /// Disk usage of roots (`statvfs`).
    public var facts: FileSystemFacts
    /// The clock (a fixed time in tests).
    public var now: @Sendable () -> Instant

    /// A catalog served as it is now.
    public init(store: any ServedStore, definitions: DefinitionLibrary, policies: PolicyLibrary, facts: FileSystemFacts = .live,
                now: @escaping @Sendable () -> Instant) {
        self.store = store; self.definitions = definitions; self.policies = policies; self.facts = facts; self.now = now
    }
}

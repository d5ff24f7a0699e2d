import PostgresNIO
import TidemarkCore

/// Datasets' states and hosts on PostgreSQL. A move's update compares the state under the
/// row's lock: a concurrent mover waits for it, then finds the state changed and updates
/// nothing (READ COMMITTED re-checks the condition on the row it waited for). The journal
/// row is written in the same transaction.
extension PostgresCatalog: DatasetStore, HostStore {
    public func datasets(_ filter: DatasetFilter) throws(CatalogError) -> [DatasetRecord] {
        let rows = try rows("""
            SELECT ds.id, c.name, ds.category, ds.name,
                   (SELECT s.name FROM files f JOIN streams s ON s.id = f.stream_id WHERE f.dataset_id = ds.id ORDER BY f.id LIMIT 1),
                   ds.state, ds.state_since, ds.files, ds.bytes, ds.start, ds."end"
            FROM datasets ds JOIN contexts c ON c.id = ds.context_id
            WHERE (\(filter.context)::text IS NULL OR c.name = \(filter.context)) AND (\(filter.name)::text IS NULL OR ds.name = \(filter.name))
              AND (cardinality(\(filter.categories)::text[]) = 0 OR ds.category = ANY(\(filter.categories)::text[]))
            ORDER BY c.name COLLATE "C", ds.category COLLATE "C", ds.name COLLATE "C"
            """)
        return try catching {
            try rows.map { row in
                let (id, context, category, name, stream, state, since, files, bytes, start, end) =
                    try row.decode((Int64, String, String, String, String?, String?, Int64?, Int64, Int64, Int64?, Int64?).self)
                return DatasetRecord(id: id, context: context, category: category, name: name, stream: stream, storedState: state,
                                     stateSince: since.map(Instant.init(microseconds:)), files: Int(files), bytes: bytes,
                                     start: start.map(Instant.init(microseconds:)), end: end.map(Instant.init(microseconds:)))
            }
        }
    }

    public func setState(dataset id: Int64, expected: String, initial: String, to: String, by: String,
                         at: Instant, journal: Int64?) throws(CatalogError) -> DatasetTransition? {
        try session.transaction { () throws(CatalogError) -> DatasetTransition? in
            let moved = try rows("""
                UPDATE datasets SET state = \(to), state_since = \(at.microseconds)
                WHERE id = \(id) AND coalesce(state, \(initial)) = \(expected) RETURNING id
                """)
            guard !moved.isEmpty else { return nil }
            let row = try rows("""
                INSERT INTO dataset_transitions (dataset_id, at, from_state, to_state, by, journal_id)
                VALUES (\(id), \(at.microseconds), \(expected), \(to), \(by), \(journal)) RETURNING id
                """)
            return DatasetTransition(id: try catching { try row[0].decode(Int64.self) }, dataset: id, at: at, from: expected, to: to, by: by,
                                     journal: journal)
        }
    }

    public func transitions(dataset id: Int64) throws(CatalogError) -> [DatasetTransition] {
        let rows = try rows("SELECT id, at, from_state, to_state, by, journal_id FROM dataset_transitions WHERE dataset_id = \(id) ORDER BY id")
        return try catching {
            try rows.map { row in
                let (jid, at, from, to, by, journal) = try row.decode((Int64, Int64, String, String, String, Int64?).self)
                return DatasetTransition(id: jid, dataset: id, at: Instant(microseconds: at), from: from, to: to, by: by, journal: journal)
            }
        }
    }

    public func addHost(_ host: HostAddress, at: Instant) throws(CatalogError) -> Bool {
        !(try rows("""
            INSERT INTO hosts (name, ssh_user, address, port, identity, added, changed)
            VALUES (\(host.name), \(host.user), \(host.address), \(host.port.map(Int32.init)), \(host.identity), \(at.microseconds), \(at.microseconds))
            ON CONFLICT (name) DO NOTHING RETURNING id
            """)).isEmpty
    }

    public func setHostState(_ name: String, _ state: HostState, at: Instant) throws(CatalogError) -> Bool {
        !(try rows("UPDATE hosts SET state = \(state.rawValue), changed = \(at.microseconds) WHERE name = \(name) RETURNING id")).isEmpty
    }

    public func setHostEnabled(_ name: String, _ enabled: Bool, at: Instant) throws(CatalogError) -> Bool {
        !(try rows("UPDATE hosts SET enabled = \(Int32(enabled ? 1 : 0)), changed = \(at.microseconds) WHERE name = \(name) RETURNING id")).isEmpty
    }

    public func hosts() throws(CatalogError) -> [HostRecord] {
        let rows = try rows("SELECT name, ssh_user, address, port, identity, state, enabled, added, changed FROM hosts ORDER BY name COLLATE \"C\"")
        return try catching {
            try rows.map { row in
                let (name, user, address, port, identity, stateName, enabled, added, changed) =
                    try row.decode((String, String?, String?, Int32?, String?, String, Int32, Int64, Int64).self)
                guard let state = HostState(rawValue: stateName) else {
                    throw CatalogError(path: url.masked, kind: .corrupt, message: "host '\(name)' has an unknown state '\(stateName)'")
                }
                return HostRecord(host: HostAddress(name: name, user: user, address: address, port: port.map(Int.init), identity: identity),
                                  state: state, enabled: enabled != 0, added: Instant(microseconds: added), changed: Instant(microseconds: changed))
            }
        }
    }
}

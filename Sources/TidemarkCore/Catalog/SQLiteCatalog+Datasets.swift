import GRDB

/// Datasets' states and hosts on SQLite. A move is one write transaction (`BEGIN
/// IMMEDIATE`: one writer for the whole file), whose update compares the state and whose
/// journal row is written with it.
extension SQLiteCatalog: DatasetStore, HostStore {
    public func datasets(_ filter: DatasetFilter) throws(CatalogError) -> [DatasetRecord] {
        try read { db in
            var sql = """
                SELECT ds.id, c.name, ds.category, ds.name,
                       (SELECT s.name FROM files f JOIN streams s ON s.id = f.stream_id WHERE f.dataset_id = ds.id ORDER BY f.id LIMIT 1),
                       ds.state, ds.state_since, ds.files, ds.bytes, ds.start, ds."end"
                FROM datasets ds JOIN contexts c ON c.id = ds.context_id
                WHERE (?1 IS NULL OR c.name = ?1) AND (?2 IS NULL OR ds.name = ?2)
                """
            var arguments: StatementArguments = [filter.context, filter.name]
            if !filter.categories.isEmpty {
                sql += " AND ds.category IN (\(filter.categories.map { _ in "?" }.joined(separator: ",")))"
                arguments += StatementArguments(filter.categories)
            }
            sql += " ORDER BY c.name, ds.category, ds.name"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { r in
                DatasetRecord(id: r[0], context: r[1], category: r[2], name: r[3], stream: r[4], storedState: r[5],
                              stateSince: (r[6] as Int64?).map(Instant.init(microseconds:)), files: r[7], bytes: r[8],
                              start: (r[9] as Int64?).map(Instant.init(microseconds:)), end: (r[10] as Int64?).map(Instant.init(microseconds:)))
            }
        }
    }

    public func setState(dataset id: Int64, expected: String, initial: String, to: String, by: String,
                         at: Instant, journal: Int64?) throws(CatalogError) -> DatasetTransition? {
        try write { db in
            try db.execute(sql: "UPDATE datasets SET state = ?, state_since = ? WHERE id = ? AND coalesce(state, ?) = ?",
                           arguments: [to, at.microseconds, id, initial, expected])
            guard db.changesCount == 1 else { return nil }
            try db.execute(sql: "INSERT INTO dataset_transitions (dataset_id, at, from_state, to_state, by, journal_id) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, at.microseconds, expected, to, by, journal])
            return DatasetTransition(id: db.lastInsertedRowID, dataset: id, at: at, from: expected, to: to, by: by, journal: journal)
        }
    }

    public func transitions(dataset id: Int64) throws(CatalogError) -> [DatasetTransition] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT id, at, from_state, to_state, by, journal_id FROM dataset_transitions WHERE dataset_id = ? ORDER BY id",
                             arguments: [id]).map { r in
                DatasetTransition(id: r[0], dataset: id, at: Instant(microseconds: r[1]), from: r[2], to: r[3], by: r[4], journal: r[5])
            }
        }
    }

    public func addHost(_ host: HostAddress, at: Instant) throws(CatalogError) -> Bool {
        try write { db in
            try db.execute(sql: """
                INSERT INTO hosts (name, ssh_user, address, port, identity, added, changed) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO NOTHING
                """, arguments: [host.name, host.user, host.address, host.port, host.identity, at.microseconds, at.microseconds])
            return db.changesCount == 1
        }
    }

    public func setHostState(_ name: String, _ state: HostState, at: Instant) throws(CatalogError) -> Bool {
        try changeHost(name, "state = ?", state.rawValue, at: at)
    }

    public func setHostEnabled(_ name: String, _ enabled: Bool, at: Instant) throws(CatalogError) -> Bool {
        try changeHost(name, "enabled = ?", enabled ? 1 : 0, at: at)
    }

    public func hosts() throws(CatalogError) -> [HostRecord] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, ssh_user, address, port, identity, state, enabled, added, changed FROM hosts ORDER BY name")
                .map { r in
                    guard let state = HostState(rawValue: r[5]) else {
                        throw CatalogError(path: path, kind: .corrupt, message: "host '\(r[0] as String)' has an unknown state '\(r[5] as String)'")
                    }
                    return HostRecord(host: HostAddress(name: r[0], user: r[1], address: r[2], port: r[3], identity: r[4]), state: state,
                                      enabled: (r[6] as Int64) != 0, added: Instant(microseconds: r[7]), changed: Instant(microseconds: r[8]))
                }
        }
    }

    private func changeHost(_ name: String, _ set: String, _ value: some DatabaseValueConvertible, at: Instant) throws(CatalogError) -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE hosts SET \(set), changed = ? WHERE name = ?", arguments: [value, at.microseconds, name])
            return db.changesCount == 1
        }
    }
}

import GRDB

/// The catalog schema. It changes only through named, append-only migrations.
enum Schema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: contexts, files, scans") { db in
            try db.execute(sql: """
                CREATE TABLE contexts (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    definition_file TEXT,
                    fingerprint TEXT
                );
                CREATE TABLE roots (
                    id INTEGER PRIMARY KEY,
                    context_id INTEGER NOT NULL REFERENCES contexts(id),
                    path BLOB NOT NULL,
                    UNIQUE (context_id, path)
                );
                -- Directories relative to their root: file rows hold only their name.
                CREATE TABLE dirs (
                    id INTEGER PRIMARY KEY,
                    root_id INTEGER NOT NULL REFERENCES roots(id),
                    path BLOB NOT NULL,
                    UNIQUE (root_id, path)
                );
                CREATE TABLE streams (
                    id INTEGER PRIMARY KEY,
                    context_id INTEGER NOT NULL REFERENCES contexts(id),
                    category TEXT NOT NULL,
                    name TEXT NOT NULL,
                    UNIQUE (context_id, category, name)
                );
                CREATE TABLE datasets (
                    id INTEGER PRIMARY KEY,
                    context_id INTEGER NOT NULL REFERENCES contexts(id),
                    category TEXT NOT NULL,
                    name TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'new',
                    start INTEGER,
                    "end" INTEGER,
                    files INTEGER NOT NULL DEFAULT 0,
                    bytes INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (context_id, name)
                );
                -- Times are microseconds since 1970 UTC; mtime is nanoseconds.
                -- state: 0 live, 1 missing, 2 deleted, 3 purged.
                -- source: 1 name, 2 fits, 3 netcdf, 4 nidas, 5 mtime.
                CREATE TABLE files (
                    id INTEGER PRIMARY KEY,
                    dir_id INTEGER NOT NULL REFERENCES dirs(id),
                    name BLOB NOT NULL,
                    size INTEGER NOT NULL,
                    mtime INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    stream_id INTEGER NOT NULL REFERENCES streams(id),
                    dataset_id INTEGER REFERENCES datasets(id),
                    start INTEGER,
                    "end" INTEGER,
                    source INTEGER NOT NULL,
                    state INTEGER NOT NULL DEFAULT 0,
                    gone_at INTEGER,
                    gone_scan INTEGER,
                    error TEXT,
                    UNIQUE (dir_id, name)
                );
                CREATE INDEX files_by_stream_start ON files (stream_id, start);
                CREATE INDEX files_by_dataset ON files (dataset_id) WHERE dataset_id IS NOT NULL;
                CREATE TABLE scans (
                    id INTEGER PRIMARY KEY,
                    context_id INTEGER NOT NULL REFERENCES contexts(id),
                    started INTEGER NOT NULL,
                    finished INTEGER,
                    status TEXT NOT NULL,
                    files INTEGER, new INTEGER, changed INTEGER, unchanged INTEGER,
                    missing INTEGER, revived INTEGER, errors INTEGER, bytes INTEGER, seconds REAL
                );
                CREATE TABLE scan_errors (
                    scan_id INTEGER NOT NULL REFERENCES scans(id),
                    path BLOB NOT NULL,
                    message TEXT NOT NULL
                );
                CREATE INDEX scan_errors_by_scan ON scan_errors (scan_id);
                -- For people reading the catalog with sqlite3.
                CREATE VIEW file_view AS
                SELECT f.id, c.name AS context, CAST(r.path AS TEXT) || CASE WHEN d.path = X'' THEN '' ELSE '/' || CAST(d.path AS TEXT) END
                         || '/' || CAST(f.name AS TEXT) AS path,
                       s.category, s.name AS stream, f.size,
                       strftime('%Y-%m-%dT%H:%M:%fZ', f.start / 1e6, 'unixepoch') AS start,
                       strftime('%Y-%m-%dT%H:%M:%fZ', f."end" / 1e6, 'unixepoch') AS "end",
                       CASE f.source WHEN 1 THEN 'name' WHEN 2 THEN 'fits' WHEN 3 THEN 'netcdf' WHEN 4 THEN 'nidas' WHEN 5 THEN 'mtime' ELSE '?' END AS source,
                       CASE f.state WHEN 0 THEN 'live' WHEN 1 THEN 'missing' WHEN 2 THEN 'deleted' ELSE 'purged' END AS state,
                       f.error
                FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
                JOIN contexts c ON c.id = r.context_id JOIN streams s ON s.id = f.stream_id;
                """)
        }
        m.registerMigration("v2: coverage runs and stream bounds") { db in
            try db.execute(sql: """
                -- The longest file of each stream bounds index range scans for overlaps:
                -- a file overlapping t starts after t - max_duration.
                ALTER TABLE streams ADD COLUMN max_duration INTEGER NOT NULL DEFAULT 0;
                -- Merged intervals of each stream's files (live, and gone separately), kept by
                -- every scan and deletion, so coverage and gaps never read millions of files.
                CREATE TABLE coverage_runs (
                    stream_id INTEGER NOT NULL REFERENCES streams(id),
                    live INTEGER NOT NULL,
                    start INTEGER NOT NULL,
                    "end" INTEGER NOT NULL,
                    files INTEGER NOT NULL,
                    bytes INTEGER NOT NULL
                );
                CREATE INDEX coverage_runs_by_stream ON coverage_runs (stream_id, live, start);
                -- Per stream and UTC month of coverage start (-1: no coverage): what reports add
                -- up, so they never read millions of files. Kept with the runs.
                CREATE TABLE stream_months (
                    stream_id INTEGER NOT NULL REFERENCES streams(id),
                    month INTEGER NOT NULL,
                    files INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    oldest INTEGER,
                    newest INTEGER,
                    missing INTEGER NOT NULL,
                    deleted INTEGER NOT NULL,
                    errors INTEGER NOT NULL,
                    PRIMARY KEY (stream_id, month)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v3: policy runs, journal, gone_run") { db in
            try db.execute(sql: """
                -- One row per policy run (`policy run`, `delete --yes`); status: running,
                -- done, faults, interrupted (killed; settled by the next run).
                CREATE TABLE policy_runs (
                    id INTEGER PRIMARY KEY,
                    context_id INTEGER NOT NULL REFERENCES contexts(id),
                    policy TEXT NOT NULL,
                    started INTEGER NOT NULL,
                    finished INTEGER,
                    status TEXT NOT NULL,
                    pid INTEGER,
                    planned INTEGER NOT NULL DEFAULT 0,
                    done INTEGER NOT NULL DEFAULT 0,
                    skipped INTEGER NOT NULL DEFAULT 0,
                    failed INTEGER NOT NULL DEFAULT 0,
                    bytes INTEGER NOT NULL DEFAULT 0
                );
                -- Every action: its intent is committed before it is done and its result
                -- after. result NULL = open (the run died in between).
                -- action: delete, purge. result: done, gone, skipped, failed, not-done.
                CREATE TABLE journal (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER NOT NULL REFERENCES policy_runs(id),
                    file_id INTEGER NOT NULL REFERENCES files(id),
                    action TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    mtime INTEGER NOT NULL,
                    inode INTEGER NOT NULL,
                    device INTEGER NOT NULL,
                    intended INTEGER NOT NULL,
                    result TEXT,
                    detail TEXT,
                    finished INTEGER
                );
                CREATE INDEX journal_open ON journal (run_id) WHERE result IS NULL;
                CREATE INDEX journal_by_file ON journal (file_id);
                -- The policy run that deleted or purged a file (tombstones 2 and 3).
                ALTER TABLE files ADD COLUMN gone_run INTEGER REFERENCES policy_runs(id);
                """)
        }
        m.registerMigration("v4: reader notes") { db in
            // What header readers said of a file (a NIDAS archive's header, a time system
            // converted, sources that disagree), beside its error.
            try db.execute(sql: "ALTER TABLE files ADD COLUMN notes TEXT")
        }
        m.registerMigration("v5: header reads that died") { db in
            // Files whose header was being read when a scan died, with how many scans in a
            // row died so; at two, their headers are no longer read (see ReadingRecord).
            try db.execute(sql: """
                CREATE TABLE reading_suspects (
                    path BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime INTEGER NOT NULL, strikes INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        m.registerMigration("v6: root identity") { db in
            try db.execute(sql: """
                -- A root is its directory's device and inode, recorded when first catalogued (NULL:
                -- catalogued before this migration; the next scan of the root records them).
                ALTER TABLE roots ADD COLUMN device INTEGER;
                ALTER TABLE roots ADD COLUMN inode INTEGER;
                -- The latest complete scan that walked the root: with scans.explicit_roots, what
                -- makes a root current (see RootStates).
                ALTER TABLE roots ADD COLUMN last_scan INTEGER REFERENCES scans(id);
                -- 1 when the scan's roots were given with --scan rather than read from the definition.
                ALTER TABLE scans ADD COLUMN explicit_roots INTEGER NOT NULL DEFAULT 0;
                -- What happened to roots as a whole (event 'forget': a stale root dropped, with
                -- what it held), kept after the root's own rows are gone.
                CREATE TABLE root_events (
                    id INTEGER PRIMARY KEY,
                    context TEXT NOT NULL,
                    path BLOB NOT NULL,
                    device INTEGER,
                    inode INTEGER,
                    event TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    files INTEGER NOT NULL,
                    live INTEGER NOT NULL,
                    bytes INTEGER NOT NULL,
                    last_scan INTEGER,
                    detail TEXT
                );
                -- Journal entries of the files of a forgotten root, moved here with the file's path
                -- (the journal's file_id must name a file row): the history of what runs did stays.
                CREATE TABLE forgotten_journal (
                    event_id INTEGER NOT NULL REFERENCES root_events(id),
                    journal_id INTEGER NOT NULL,
                    run_id INTEGER NOT NULL REFERENCES policy_runs(id),
                    path BLOB NOT NULL,
                    action TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    intended INTEGER NOT NULL,
                    result TEXT,
                    detail TEXT,
                    finished INTEGER
                );
                """)
        }
        m.registerMigration("v7: file ctime") { db in
            // The status-change time in nanoseconds: a file rewritten with its mtime put back
            // (`touch -d`) keeps size, mtime and inode but not ctime. 0 = catalogued before
            // it was recorded: the next scan reads such a file again, and no policy removes
            // it until then. The journal keeps the ctime each removal expected.
            try db.execute(sql: """
                ALTER TABLE files ADD COLUMN ctime INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE journal ADD COLUMN ctime INTEGER NOT NULL DEFAULT 0;
                """)
        }
        m.registerMigration("v8: scan owner") { db in
            // Who holds each of the catalog's locks — a scan of a context, a policy run — for
            // the message a refused run prints. The locks themselves are kernel locks on the
            // database file (CatalogLock); a killed holder's row stays until the next holder's.
            try db.execute(sql: """
                CREATE TABLE lock_owners (
                    lock TEXT PRIMARY KEY, holder TEXT NOT NULL, pid INTEGER NOT NULL, host TEXT NOT NULL, since INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        m.registerMigration("v9: file_view names every source") { db in
            // nidas-samples has its own code (8; rows written before keep 4, nidas), and the
            // view names every code a file or dataset can hold instead of showing '?'.
            try db.execute(sql: """
                DROP VIEW file_view;
                CREATE VIEW file_view AS
                SELECT f.id, c.name AS context, CAST(r.path AS TEXT) || CASE WHEN d.path = X'' THEN '' ELSE '/' || CAST(d.path AS TEXT) END
                         || '/' || CAST(f.name AS TEXT) AS path,
                       s.category, s.name AS stream, f.size,
                       strftime('%Y-%m-%dT%H:%M:%fZ', f.start / 1e6, 'unixepoch') AS start,
                       strftime('%Y-%m-%dT%H:%M:%fZ', f."end" / 1e6, 'unixepoch') AS "end",
                       CASE f.source WHEN 1 THEN 'name' WHEN 2 THEN 'fits' WHEN 3 THEN 'netcdf' WHEN 4 THEN 'nidas' WHEN 5 THEN 'mtime'
                                     WHEN 6 THEN 'dataset' WHEN 7 THEN 'header' WHEN 8 THEN 'nidas-samples' ELSE '?' END AS source,
                       CASE f.state WHEN 0 THEN 'live' WHEN 1 THEN 'missing' WHEN 2 THEN 'deleted' ELSE 'purged' END AS state,
                       f.error
                FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
                JOIN contexts c ON c.id = r.context_id JOIN streams s ON s.id = f.stream_id;
                """)
        }
        m.registerMigration("v10: work claims") { db in
            // Queued work of every queue (copies, update requests), claimed under a lease
            // (ClaimStore): `token` is drawn afresh at each claim, and a worker acts on its
            // item only while the token is still its own. Times are microseconds.
            try db.execute(sql: """
                CREATE TABLE work_items (
                    id INTEGER PRIMARY KEY,
                    queue TEXT NOT NULL,
                    item TEXT NOT NULL,
                    payload TEXT,
                    state TEXT NOT NULL DEFAULT 'queued',
                    claimer TEXT,
                    token INTEGER,
                    lease_until INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    enqueued INTEGER NOT NULL,
                    claimed INTEGER,
                    finished INTEGER,
                    outcome TEXT,
                    UNIQUE (queue, item)
                );
                CREATE INDEX work_items_by_state ON work_items (queue, state, id);
                """)
        }
        m.registerMigration("v11b: dataset states and hosts") { db in
            // A dataset's state is NULL until it first moves: it is then in the initial state
            // of its category's state machine, which the context definition declares (so
            // datasets catalogued before this migration, or by any store's scan, need no
            // backfill, and a definition's new machine applies to them at once). v1's unused
            // `state` ('new' for every row) is replaced by that nullable column. state_since:
            // microseconds; set when the dataset is first catalogued (NULL for datasets
            // catalogued before this migration) and at each move.
            try db.execute(sql: """
                ALTER TABLE datasets DROP COLUMN state;
                ALTER TABLE datasets ADD COLUMN state TEXT;
                ALTER TABLE datasets ADD COLUMN state_since INTEGER;
                CREATE TRIGGER datasets_first_catalogued AFTER INSERT ON datasets WHEN NEW.state_since IS NULL
                BEGIN
                    UPDATE datasets SET state_since = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER) WHERE id = NEW.id;
                END;
                -- Every move of a dataset, journaled in the transaction that makes it: when, from
                -- which state, to which, and by what (a command and who ran it, a policy run).
                CREATE TABLE dataset_transitions (
                    id INTEGER PRIMARY KEY,
                    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
                    at INTEGER NOT NULL,
                    from_state TEXT NOT NULL,
                    to_state TEXT NOT NULL,
                    by TEXT NOT NULL
                );
                CREATE INDEX dataset_transitions_by_dataset ON dataset_transitions (dataset_id, id);
                -- Destinations of copies. address NULL: this machine (paths used directly);
                -- otherwise reached over ssh as [ssh_user@]address, on port (NULL: ssh's default)
                -- with identity (NULL: ssh's default). state: up (allocate and read), repair
                -- (read, no new copies), down (neither); enabled: copies to it switched on.
                CREATE TABLE hosts (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    ssh_user TEXT,
                    address TEXT,
                    port INTEGER,
                    identity TEXT,
                    state TEXT NOT NULL DEFAULT 'up',
                    enabled INTEGER NOT NULL DEFAULT 1,
                    added INTEGER NOT NULL,
                    changed INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v12: every action journaled") { db in
            // Every action — a removal, a copy, a state change, a revert, an update — is one
            // journal entry: `action` names its kind (ActionKind), and its subject is a file, a
            // dataset, a copy or a request. file_id (and run_id, and the file's stat) become
            // nullable, so the table is rebuilt (SQLite cannot drop NOT NULL); ids are kept.
            // copy_id and request_id are plain integers: their tables come later. target: what
            // the action moves its subject to (a state); by: what did it (a command and who ran
            // it, a policy run); pid and host: the process that wrote the intent, so an intent
            // it left open is settled only once it is gone. dataset_transitions.journal_id: the
            // state action that made a move, so settling knows whether a killed act was done.
            try db.execute(sql: """
                CREATE TABLE journal_v12 (
                    id INTEGER PRIMARY KEY,
                    run_id INTEGER REFERENCES policy_runs(id),
                    file_id INTEGER REFERENCES files(id),
                    action TEXT NOT NULL,
                    rule TEXT,
                    reason TEXT NOT NULL,
                    size INTEGER,
                    mtime INTEGER,
                    inode INTEGER,
                    device INTEGER,
                    intended INTEGER NOT NULL,
                    result TEXT,
                    detail TEXT,
                    finished INTEGER,
                    ctime INTEGER NOT NULL DEFAULT 0,
                    dataset_id INTEGER,
                    copy_id INTEGER,
                    request_id INTEGER,
                    target TEXT,
                    by TEXT,
                    pid INTEGER,
                    host TEXT
                );
                INSERT INTO journal_v12 (id, run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, finished, ctime)
                SELECT id, run_id, file_id, action, rule, reason, size, mtime, inode, device, intended, result, detail, finished, ctime FROM journal;
                DROP TABLE journal;
                ALTER TABLE journal_v12 RENAME TO journal;
                CREATE INDEX journal_open ON journal (run_id) WHERE result IS NULL;
                CREATE INDEX journal_by_file ON journal (file_id);
                CREATE INDEX journal_by_dataset ON journal (dataset_id) WHERE dataset_id IS NOT NULL;
                CREATE INDEX journal_by_copy ON journal (copy_id) WHERE copy_id IS NOT NULL;
                CREATE INDEX journal_by_request ON journal (request_id) WHERE request_id IS NOT NULL;
                ALTER TABLE dataset_transitions ADD COLUMN journal_id INTEGER;
                """)
        }
        m.registerMigration("v13: copies") { db in
            // Copies of datasets to hosts: at most one per dataset and host, ever (the unique
            // key; a dropped copy's row goes, so it may be queued again). path: the destination
            // directory on the host, bytes. state: new, run, full, fault; fault: the IPP code
            // (FaultCode) while in fault. A copy in run is claimed: `token` drawn afresh at each
            // claim, `lease_until` (microseconds) when another runner may take it up. epoch: when
            // the latest attempt ended (microseconds); dtime: its seconds; bytes: what the copy
            // holds; verified: a dry run found nothing left to send; message: the latest
            // attempt's last words (rsync's or ssh's stderr tail).
            // copy_switches: the `copy pause|resume` switches (queue, run) that workers obey.
            try db.execute(sql: """
                CREATE TABLE copies (
                    id INTEGER PRIMARY KEY,
                    dataset_id INTEGER NOT NULL REFERENCES datasets(id),
                    host_id INTEGER NOT NULL REFERENCES hosts(id),
                    path BLOB NOT NULL,
                    state TEXT NOT NULL DEFAULT 'new',
                    fault INTEGER,
                    bytes INTEGER NOT NULL DEFAULT 0,
                    epoch INTEGER,
                    dtime REAL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    message TEXT,
                    verified INTEGER NOT NULL DEFAULT 0,
                    queued INTEGER NOT NULL,
                    claimer TEXT,
                    token INTEGER,
                    lease_until INTEGER,
                    UNIQUE (dataset_id, host_id)
                );
                CREATE INDEX copies_by_state ON copies (state, host_id, id);
                CREATE INDEX copies_by_host ON copies (host_id, id);
                CREATE TABLE copy_switches (
                    name TEXT PRIMARY KEY,
                    paused INTEGER NOT NULL,
                    changed INTEGER NOT NULL,
                    by TEXT
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v14: requests") { db in
            // Requests (what files a window of categories needs), the files each needs, and
            // dependents: one per purged file that some request needs, shared by every request
            // that needs it (file_id is unique), regenerated by its category's update command
            // under a claim (claimer, token, lease_until: as work_items). States: new, run,
            // full, fault; fault: the IPP codes (< 10 transient or the system's, >= 10 the
            // user's). Times are microseconds. request_events journals every state change. No
            // index beyond the keys and files → requests: the tables hold thousands of rows, not millions.
            try db.execute(sql: """
                CREATE TABLE requests (
                    id INTEGER PRIMARY KEY,
                    context TEXT NOT NULL,
                    categories TEXT NOT NULL,
                    stream TEXT,
                    start INTEGER,
                    "end" INTEGER,
                    label TEXT,
                    priority INTEGER NOT NULL DEFAULT 0,
                    state TEXT NOT NULL DEFAULT 'new',
                    fault INTEGER,
                    message TEXT,
                    blocked_by INTEGER,
                    source TEXT,
                    created INTEGER NOT NULL,
                    changed INTEGER NOT NULL,
                    finished INTEGER,
                    pinned_until INTEGER
                );
                CREATE TABLE request_files (
                    request_id INTEGER NOT NULL REFERENCES requests(id),
                    file_id INTEGER NOT NULL REFERENCES files(id),
                    PRIMARY KEY (request_id, file_id)
                ) WITHOUT ROWID;
                CREATE INDEX request_files_by_file ON request_files (file_id);
                CREATE TABLE dependents (
                    id INTEGER PRIMARY KEY,
                    file_id INTEGER NOT NULL UNIQUE REFERENCES files(id),
                    need_start INTEGER,
                    need_end INTEGER,
                    state TEXT NOT NULL DEFAULT 'new',
                    fault INTEGER,
                    message TEXT,
                    claimer TEXT,
                    token INTEGER,
                    lease_until INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created INTEGER NOT NULL,
                    changed INTEGER NOT NULL,
                    finished INTEGER
                );
                CREATE TABLE request_events (
                    id INTEGER PRIMARY KEY,
                    at INTEGER NOT NULL,
                    object TEXT NOT NULL,
                    object_id INTEGER NOT NULL,
                    from_state TEXT,
                    to_state TEXT NOT NULL,
                    fault INTEGER,
                    by TEXT NOT NULL,
                    detail TEXT
                );
                """)
        }
        return m
    }
}

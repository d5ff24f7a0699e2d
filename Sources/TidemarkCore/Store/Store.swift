/// The stores: how Query/, Policy/ and the commands reach a catalog.
///
/// One protocol per concern — `QueryStore` (find, covers, coverage runs, report rollups,
/// listings, status reads), `PlanningStore` with its `PlanningSnapshot` (everything a planner
/// reads, within one consistent read), `JournalStore` (a run's record, intents, results,
/// settling, root forget), `RunLocking` with its `RunLock` (one run per region, knowing
/// whether its holder is alive), `ClaimStore` (queued work claimed under a lease),
/// `DatasetStore` (datasets' states, moved compare-and-set and journaled), `HostStore`
/// (destination hosts) — and
/// adapters behind them: the SQLite catalog (Catalog/) and the PostgreSQL one
/// (TidemarkPostgres). No SQL string and no driver type leaves an adapter; file states, time sources
/// and fault codes cross the seam as one enum each (`FileState`, `TimeSource`, `FaultCode`),
/// and errors as one `CatalogError` whose `kind` each adapter maps from its own codes.
///
/// `ScanStore` is the scan's: each walker compares its directories through a lookup of its
/// own, one writer applies batches and finishes the scan; `Scanner` sees only the protocol.
///
/// Sync, not async, at the seam: every requirement is a plain throwing call.
/// - The callers are synchronous: the CLI, the scanner's threads (many walkers, one
///   writer), the planner (pure logic that pulls rows from a snapshot as it decides) and the
///   executor (each action a blocking `unlinkat` between two journal commits). Making the
///   seam async would colour all of them, and the planner's row-by-row pull through an
///   `await` per row would cost the planning benchmark its speed.
/// - A consistent snapshot is a scope (`withSnapshot { … }`): the read transaction lives
///   exactly as long as the closure, which a synchronous closure states and checks simply.
/// - SQLite is blocking anyway. The PostgreSQL adapter owns its own event loop and waits on
///   it from the calling thread (never from an event-loop thread), and streams rows in
///   batches, so a per-row call stays cheap.
/// - The server (async) calls stores from a thread pool (`NIOThreadPool`), one place that
///   bridges, rather than every store call being async for its sake.
public typealias CatalogStore = QueryStore & PlanningStore & JournalStore & RunLocking

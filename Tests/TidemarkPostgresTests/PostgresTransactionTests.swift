import Foundation
import Testing
import TestSupport
import TidemarkCore
import TidemarkPostgres

/// A journal write that loses a serialization race (or a deadlock) is run again; one that
/// keeps losing is said so, as kind serializationFailure, with nothing of it committed.
@Suite struct PostgresTransactionTests {
    /// A catalog whose `policy_runs` inserts fail with SQLSTATE 40001 the first `failures`
    /// times (a sequence counts them: it is not rolled back with the failed transaction).
    func catalog(failing failures: Int) throws -> (PostgresCatalog, String)? {
        guard let url = try freshPostgresDatabase() else { return nil }
        let catalog = try PostgresCatalog(url: url)
        try psql(url, """
            CREATE SEQUENCE attempts;
            CREATE FUNCTION lose_race() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('attempts') <= \(failures) THEN
                    RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER lose_race BEFORE INSERT ON policy_runs FOR EACH ROW EXECUTE FUNCTION lose_race();
            INSERT INTO contexts (id, name) VALUES (1, 'test/isfs');
            """)
        return (catalog, url)
    }

    @Test func aRunRecordThatLostARaceIsWrittenOnTheNextAttempt() throws {
        guard let (catalog, url) = try catalog(failing: 2) else { return }
        let lock = try PolicyLock(catalog: catalog, context: "test/isfs", holder: "policy run p")
        let run = try catalog.beginRun(policy: "p", contextId: 1, planned: 3, now: Instant(seconds: 1_500_000_000), lock)
        #expect(try psql(url, "SELECT id || ' ' || policy || ' ' || planned FROM policy_runs") == "\(run) p 3")
        #expect(try psql(url, "SELECT last_value FROM attempts") == "3")
    }

    @Test func aWriteThatKeepsLosingIsSaidSoAndLeavesNothing() throws {
        guard let (catalog, url) = try catalog(failing: 100) else { return }
        let lock = try PolicyLock(catalog: catalog, context: "test/isfs", holder: "policy run p")
        #expect {
            _ = try catalog.beginRun(policy: "p", contextId: 1, planned: 3, now: Instant(seconds: 1_500_000_000), lock)
        } throws: { error in
            guard let e = error as? CatalogError else { return false }
            return e.kind == .serializationFailure && e.message.contains("times in a row") && e.message.contains("run the command again")
                && e.message.contains("could not serialize access")
        }
        #expect(try psql(url, "SELECT count(*) FROM policy_runs") == "0")
        // The connection is usable after it: nothing was left open.
        #expect(try catalog.contextNames() == ["test/isfs"])
    }
}

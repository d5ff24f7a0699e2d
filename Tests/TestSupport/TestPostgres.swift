import Foundation
import Testing

/// The PostgreSQL server of the tests: `TIDEMARK_TEST_POSTGRES`, set by scripts/test-postgres
/// (which scripts/test runs). Without it a test that needs the server is skipped on a
/// developer's machine and fails under CI (`CI=true`), so CI never passes without the server.
public func testPostgresURL() -> String? {
    let env = ProcessInfo.processInfo.environment
    if let url = env["TIDEMARK_TEST_POSTGRES"], !url.isEmpty { return url }
    if env["CI"] == "true" {
        Issue.record("TIDEMARK_TEST_POSTGRES is not set under CI: run the suite through scripts/test (scripts/test-postgres starts the server)")
    }
    return nil
}

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

/// A new, empty database on the test server for one test (tests run in parallel), or nil
/// when there is no server (a recorded failure under CI).
public func freshPostgresDatabase() throws -> String? {
    guard let url = testPostgresURL() else { return nil }
    let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    _ = try psql(url, "CREATE DATABASE \(name)")
    guard let slash = url.range(of: "/", options: .backwards) else { return nil }
    return String(url[..<slash.upperBound]) + name
}

/// Runs one SQL statement with psql and returns its unaligned output.
@discardableResult
public func psql(_ url: String, _ sql: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
    p.arguments = [url, "-v", "ON_ERROR_STOP=1", "-Atc", sql]
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw PSQLFailure(message: errText) }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// psql's own error output, when a statement of the tests failed.
public struct PSQLFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "psql: \(message)" }
}

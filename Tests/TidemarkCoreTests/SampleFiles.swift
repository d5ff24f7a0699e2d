import Foundation
import Testing
@testable import TidemarkCore

/// The third-party sample files in `../shared/samples` beside the package root.
enum SampleFiles {
    /// The package root, from this file's path (Tests/TidemarkCoreTests/SampleFiles.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let root: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/samples")

    /// Names in one sample folder (fits, netcdf, nidas, bad); records a test failure when
    /// the samples are missing, so a missing folder never passes silently.
    static func names(in folder: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [String] {
        let dir = root.appendingPathComponent(folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path), !names.isEmpty else {
            Issue.record("sample folder \(dir.path) is missing or empty: the header-reader tests need ../shared/samples beside the package root", sourceLocation: sourceLocation)
            return []
        }
        return names.sorted()
    }

    static func path(_ folder: String, _ name: String) -> PathBytes {
        Array(root.appendingPathComponent(folder).appendingPathComponent(name).path.utf8)
    }
}

/// An instant from ISO 8601 text, for expectations (`"2011-02-15T00:00:00.34Z"`).
func utc(_ text: String) -> Instant {
    guard let label = FITSDateParser.parse(text), let i = label.instant else { fatalError("bad test date \(text)") }
    return i
}

/// A scratch folder removed when the value goes away.
final class ScratchFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tidemark-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> PathBytes {
        let u = url.appendingPathComponent(name)
        try Data(bytes).write(to: u)
        return Array(u.path.utf8)
    }
}

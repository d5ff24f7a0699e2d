import Foundation
import Testing
import TidemarkCore

/// `tidemark inspect --json ../shared/samples/*/*`: every third-party sample gets its
/// header's interval, or a clear error, or a note that its header holds no time.
@Suite struct InspectSamplesTests {
    @Test func everySampleIsReadOrRefusedClearly() throws {
        let samples = URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared/samples").path
        var paths: [String] = []
        for folder in ["fits", "netcdf", "nidas", "bad"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: samples + "/" + folder)) ?? []
            paths += names.map { samples + "/" + folder + "/" + $0 }
        }
        #expect(paths.count >= 60, "the samples are missing: \(samples)")
        let r = try tidemark(["inspect", "--json"] + paths)
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try #require(try r.json() as? [[String: Any]])
        #expect(rows.count == paths.count)
        for row in rows {
            let path = row["path"] as? String ?? ""
            let source = row["source"] as? String
            let error = row["error"] as? String
            let notes = row["notes"] as? String ?? ""
            if path.contains("/bad/") && !path.contains("resampled_hmi") {
                #expect(error?.isEmpty == false, "\(path) gave no error")
                #expect(error?.contains(path) == true, "\(path): the error does not name the file: \(error ?? "")")
            } else if source == "mtime" {
                #expect(notes.contains("no time") || notes.contains("no values"), "\(path): mtime without a reason: \(notes)")
            } else {
                #expect(["fits", "netcdf", "nidas-samples"].contains(source), "\(path): \(source ?? "nil")")
                #expect(row["start"] is String && row["end"] is String)
            }
        }
    }
}

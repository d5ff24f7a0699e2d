import ArgumentParser
import Foundation
import TidemarkCore

/// `tidemark-bench example DIR`: the small bundled example archive the README scans.
struct Example: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the small example archive: an ISFS project (Perdigao) and an IPP tree.")

    @Argument(help: "Where to build it (replaced if it exists).") var directory: String

    func run() throws {
        try? FileManager.default.removeItem(atPath: directory)
        var tree = ExampleTree(root: directory)
        let start = Instant(year: 2017, month: 5, day: 1)!
        tree.isfsProject("isfs/projects/Perdigao", project: "Perdigao", start: start, days: 3, dsms: 4)
        tree.ipp("ipp", start: start, groups: 2, dbsPerGroup: 3, tablesPerDb: 6, requests: 8, stampsPerRequest: 3,
                 exposures: 4, chipsPerExposure: 6)
        tree.write("isfs/projects/Perdigao/README.txt", Array("Perdigão field project archive (example)\n".utf8))
        print("example archive: \(tree.files) files, \(tree.bytes) bytes in \(directory)")
    }
}

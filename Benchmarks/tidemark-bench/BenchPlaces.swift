import ArgumentParser
import Foundation

/// Where a benchmark keeps its trees and catalogs, and which `tidemark` it runs.
struct BenchPlaces: ParsableArguments {
    @Option(help: "Where trees and catalogs live (built once, reused).") var dir = "/var/tmp/tidemark-bench"
    @Option(help: "The tidemark binary (default: beside this one).") var tidemark: String?

    var binary: String {
        tidemark ?? (URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/tidemark")
    }
}

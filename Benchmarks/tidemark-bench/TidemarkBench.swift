import ArgumentParser

@main
struct TidemarkBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tidemark-bench",
        abstract: "Tidemark's benchmarks, and the builder of its example archive.",
        subcommands: [Example.self, ScanBenchmark.self, QueryBenchmark.self, WalkBenchmark.self, PolicyBenchmark.self, RequestsBenchmark.self, CopyBenchmark.self, ServeBenchmark.self, HeaderBenchmark.self, HoldLock.self, ClaimsWorker.self, PostgresBenchmark.self])
}

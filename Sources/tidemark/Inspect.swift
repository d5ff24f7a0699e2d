import ArgumentParser
import Foundation
import TidemarkCore

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the time coverage the scanner would record for files, without a catalog.",
        discussion: """
            Each file is classified by the context whose root holds it (or --context), else by \
            generic rules: its FITS, netCDF or NIDAS header (told by its first bytes or its name; \
            NIDAS archives by their first and last samples), a date and time in its name, else its \
            modification time. A directory is inspected file by file.
            """)

    @Argument(help: "Files or directories to inspect.") var paths: [String]
    @Option(help: "Classify by this context's rules.") var context: String?
    @Option(name: .long, help: ArgumentHelp("Directory of context definitions.", valueName: "DIR"))
    var catalogs: String?
    @Flag(help: "Give NIDAS archives the coverage of their first and last sample time tags.")
    var nidasTimeTags = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        var failed = false
        try exitReporting {
            var options = CatalogOptions()
            options.catalogs = catalogs
            let library = options.library
            var definitions: [ContextDefinition] = []
            if let context {
                definitions = [try options.definition(for: context)]
            } else {
                for name in library.contextNames() {
                    if let d = try? library.definition(for: name) { definitions.append(d) }
                }
            }
            let inspector = Inspector(definitions: definitions, forced: context != nil, resolver: .standard(readNIDASTimeTags: nidasTimeTags),
                                      genericResolver: .standard(readNIDASTimeTags: true))
            var entries: [CatalogEntry] = []
            for p in paths {
                for (path, stat) in Self.files(at: absolutePath(p), failed: &failed) {
                    entries.append(inspector.inspect(path: path, stat: stat))
                }
            }
            if entries.contains(where: { $0.coverage == nil }) { failed = true }
            if output.json { try Output.json(entries) } else { try Output.print(FileTable.render(entries)) }
        }
        if failed { throw ExitCode(1) }
    }

    /// The files at a path: itself, or every regular file below a directory.
    static func files(at path: String, failed: inout Bool) -> [(PathBytes, FileStat?)] {
        let bytes = path.pathBytes
        guard let st = try? FileStat.of(path: bytes) else { failed = true; return [(bytes, nil)] }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [(bytes, st)] }
        var out: [(PathBytes, FileStat?)] = []
        let walker = Walker(roots: [bytes], options: { var o = WalkOptions(); o.threads = 1; return o }())
        let box = Box()
        walker.run(visit: { listing, _ in
            box.lock.withLock { for (n, s) in listing.files { box.items.append((listing.path.appendingComponent(n), s)) } }
        }, failed: { _ in })
        out = box.items.sorted { $0.0.lexicographicallyPrecedes($1.0) }.map { ($0.0, $0.1) }
        return out
    }

    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var items: [(PathBytes, FileStat)] = []
    }
}

import ArgumentParser
import Foundation
import TidemarkCore

struct RootCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "root",
        abstract: "List the catalog's roots (current or stale, available or not); forget a stale one.",
        discussion: """
            A root is recognised by its directory's device and inode, recorded when it is first \
            catalogued. It is current while its context's definition names it, or while it was given \
            with --scan to the context's latest complete scan; otherwise it is stale. Deletion \
            (planning, execution, settling a killed run) acts only under current roots that are \
            available: still the directory catalogued (not an empty mount point, not moved away).
            """,
        subcommands: [RootList.self, RootForget.self])
}

struct RootList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Every root with its context, device/inode, whether it is current or stale (and why), and when it was last scanned.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 2 a definition cannot be read, 64 bad command line.")

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions
    @Option(help: "Only this context.") var context: String?

    func run() throws {
        try exitReporting {
            let store = try catalog.openQueryStore()
            let (states, rows) = try runtime {
                let names = try store.contextNames()
                if let context, !names.contains(context) {
                    throw Failure.usage("the catalog \(store.path) has no context '\(context)'; it holds \(names.joined(separator: ", "))")
                }
                let states = try store.rootStates(context: context, definitionRoots: try catalog.definitionRoots(for: context.map { [$0] } ?? names))
                return (states, try states.map { try store.contents(of: $0) })
            }
            if output.json {
                try Output.json(zip(states, rows).map(RootJSON.init))
                return
            }
            let table = zip(states, rows).map { s, c -> [String] in
                [s.context, s.path.displayPath, s.identity?.description ?? "?", s.isCurrent ? "current" : "stale",
                 s.unavailable == nil ? "yes" : "NO", Format.time(s.lastScanned), Format.count(c.live), Format.bytes(c.liveBytes),
                 s.why + (s.unavailable.map { "; unavailable: \($0)" } ?? "")]
            }
            try Output.print(Format.table(["CONTEXT", "ROOT", "DEVICE/INODE", "STATE", "AVAILABLE", "LAST SCANNED", "LIVE FILES", "BYTES", "WHY"],
                               table, rightAligned: [6, 7]))
            if let stale = states.first(where: { !$0.isCurrent }) {
                try Output.print("A stale root is never deleted from; `tidemark root forget \(stale.path.displayPath) --context \(stale.context) --yes` drops one from the catalog.")
            }
        }
    }

    private struct RootJSON: Encodable {
        let context: String, path: String, path_bytes: String?, device: UInt64?, inode: UInt64?, state: String, why: String
        let available: Bool, unavailable: String?, last_scan: Int64?, last_scanned: String?, files: Int, live: Int, live_bytes: Int64

        init(_ s: RootState, _ c: RootContents) {
            context = s.context
            path = s.path.displayPath
            path_bytes = s.path.isPlainText ? nil : s.path.map { String(format: "%02x", $0) }.joined()
            device = s.identity?.device
            inode = s.identity?.inode
            state = s.isCurrent ? "current" : "stale"
            why = s.why
            available = s.unavailable == nil
            unavailable = s.unavailable
            last_scan = s.lastScan
            last_scanned = s.lastScanned?.iso8601
            files = c.files
            live = c.live
            live_bytes = c.liveBytes
        }
    }
}

struct RootForget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Drop a stale (or unavailable) root from the catalog: its directories and file rows go; files on disk are not touched.",
        discussion: """
            Without --yes it says what would go and changes nothing. A current, available root is \
            refused. The forget is recorded (table root_events, with what the root held), and the \
            journal entries of its files are kept with their paths (table forgotten_journal).

            Exit status: 0 done (or, without --yes, shown), 1 could not run (no catalog; the root is \
            current; another policy run holds the catalog's lock), 2 a definition cannot be read, \
            64 bad command line (no such root, or a root of several contexts without --context).
            """)

    @Argument(help: "The root, as `root list` shows it (or any path to the same directory).") var path: String
    @Option(help: "The root's context, when several contexts have a root there.") var context: String?
    @Flag(help: "Forget it. Without it, only say what would go.") var yes = false
    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try exitReporting {
            // Written only with --yes; never created.
            let store = try catalog.openPolicyStore(readOnly: !yes)
            let root: RootState
            do {
                let definitions = try catalog.definitionRoots(for: context.map { [$0] } ?? (try runtime { try store.contextNames() }))
                root = try store.root(named: absolutePath(path).pathBytes, context: context, definitionRoots: definitions)
            } catch let e as RootError {
                if case .catalog = e { throw Failure.runtime(e.description) }
                throw Failure.usage(e.description)
            }
            if root.isUsable { throw Failure.runtime(RootError.current(root).description) }
            let what = root.isCurrent ? "unavailable: \(root.unavailable ?? "")" : root.why
            guard yes else {
                let c = try runtime { try store.contents(of: root) }
                try Output.print("Root \(root.path.displayPath) of \(root.context) (\(what)) holds \(Format.count(c.files)) catalogued files "
                      + "(\(Format.count(c.live)) live, \(Format.bytes(c.liveBytes))) in \(Format.count(c.directories)) directories, "
                      + "with \(Format.count(c.journalEntries)) journal entries (\(c.openIntents) open).")
                try Output.print("Nothing was changed. Run again with --yes to drop them from the catalog (files on disk are not touched).")
                return
            }
            let lock: PolicyLock
            do { lock = try PolicyLock(catalog: store, context: root.context, holder: "root forget") } catch {
                guard case PolicyError.locked = error else { throw Failure.runtime("\(error)") }
                Terminal.error("\(error)")
                throw ExitCode(PolicyExit.locked)
            }
            let done: (event: Int64, contents: RootContents)
            do { done = try store.forget(root, lock: lock, now: currentInstant) } catch { throw Failure.runtime("\(error)") }
            try Output.print("Forgot root \(root.path.displayPath) of \(root.context) (\(what)): \(Format.count(done.contents.files)) catalogued files "
                  + "and \(Format.count(done.contents.directories)) directories dropped, \(Format.count(done.contents.journalEntries)) journal "
                  + "entries kept with their paths (root event #\(done.event)). Files on disk were not touched.",
                             done: "The root was forgotten in the catalog \(store.path); files on disk were not touched.")
        }
    }
}

/// Runs `body`, turning catalog errors into exit 1.
func runtime<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as CatalogError { throw Failure.runtime(e.description) }
}

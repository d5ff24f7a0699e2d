import Foundation
import Testing
import TestSupport

/// A scanned copy of the small ISFS tree with its own catalog.
struct ScannedIsfs {
    let tree = TempTree("policy-cli")
    let db = temporaryDirectory("policy-db") + "/c.db"
    let catalogs = packageRoot + "/catalogs"

    init(days: Int = 2) throws {
        makeIsfsTree(tree, days: days)
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--quiet"])
        precondition(r.status == 0, r.stderr)
    }

    /// The catalog file's bytes, to prove a dry run left it byte-identical.
    var catalogBytes: Data { FileManager.default.contents(atPath: db) ?? Data() }

    func delete(_ args: [String], environment: [String: String] = [:]) throws -> Run {
        try tidemark(["delete", "--context", "perdigao/ustar", "--db", db] + args, environment: environment)
    }

    /// Files on disk below the tree, relative.
    var filesOnDisk: Set<String> {
        Set((FileManager.default.enumerator(atPath: tree.root)?.allObjects as? [String] ?? [])
            .filter { !($0 as NSString).lastPathComponent.isEmpty && !isDirectory(tree.root + "/" + $0) })
    }

    /// Catalogued files of a state, relative.
    func catalogued(_ state: String) throws -> Set<String> {
        let rows = try #require(try tidemark(["find", "--db", db, "--state", state, "--json"]).json() as? [[String: Any]])
        return Set(rows.compactMap { ($0["path"] as? String).map { String($0.dropFirst(tree.root.count + 1)) } })
    }

    private func isDirectory(_ p: String) -> Bool {
        var d: ObjCBool = false
        return FileManager.default.fileExists(atPath: p, isDirectory: &d) && d.boolValue
    }
}

import Foundation
import Testing
import TestSupport
import TidemarkCore

/// What `scan` says and accepts: the ISFS operations page's `--verbose`, problems that name
/// non-UTF-8 paths exactly, dangling links when links are followed, and trees deeper than
/// PATH_MAX.
@Suite struct ScanMessagesTests {
    let catalogs = packageRoot + "/catalogs"

    func lines(_ out: String, _ word: String) -> Set<String> {
        Set(out.split(separator: "\n").compactMap { l in
            let parts = l.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            return parts.count == 2 && parts[0] == word ? String(parts[1].trimmingCharacters(in: .whitespaces)) : nil
        })
    }

    @Test func theOperationsPageLineWithVerboseListsEveryNewChangedAndMissingFile() throws {
        let tree = TempTree("verbose")
        makeIsfsTree(tree, days: 1)
        let db = temporaryDirectory("db") + "/ustar.db"
        let args = ["scan", "--context=perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--verbose"]
        let first = try tidemark(args)
        #expect(first.status == 0, "\(first.stderr)")
        let new = lines(first.stdout, "new")
        #expect(new.count == 20 && new.contains(tree.path("raw_data/isfs_20170501_040000.dat")), "\(first.stdout)")
        #expect(first.stdout.contains("20 files"), "the summary still follows")

        tree.write("raw_data/isfs_20170501_040000.dat", contents: TempTree.nidasArchive(size: 250))   // changed
        tree.remove("raw_data/tse01_20170501_000000.dat")                                            // missing
        tree.remove("netcdf")                                                                         // a whole directory
        tree.write("raw_data/isfs_20170502_000000.dat", contents: TempTree.nidasArchive(size: 200))  // new
        let second = try tidemark(args)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(lines(second.stdout, "new") == [tree.path("raw_data/isfs_20170502_000000.dat")], "\(second.stdout)")
        #expect(lines(second.stdout, "changed") == [tree.path("raw_data/isfs_20170501_040000.dat")], "\(second.stdout)")
        #expect(lines(second.stdout, "missing") == [tree.path("raw_data/tse01_20170501_000000.dat"), tree.path("netcdf/5min/isfs_20170501.nc")],
                "\(second.stdout)")

        // With --json the lines go to stderr, so the JSON stays whole.
        tree.write("raw_data/isfs_20170503_000000.dat", contents: TempTree.nidasArchive(size: 200))
        let json = try tidemark(args + ["--json"])
        #expect((try json.json() as? [String: Any])?["new"] as? Int == 1)
        #expect(json.stderr.contains("new") && json.stderr.contains("isfs_20170503_000000.dat"), "\(json.stderr)")
        #expect(try tidemark(args + ["--quiet"]).status == 64)
    }

    @Test func problemsGiveNonUTF8PathsExactlyInPathBytes() throws {
        let tree = TempTree("problem-bytes")
        let name: PathBytes = Array("netcdf/5min/plot".utf8) + [0xFF] + Array(".nc".utf8)
        let path = tree.write(name, size: 7)
        let db = temporaryDirectory("db") + "/c.db"
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let problems = try #require((try r.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(problems.count == 1)
        #expect(problems.first?["path"] as? String == path.displayPath)
        #expect(problems.first?["path_bytes"] as? String == path.map { String(format: "%02x", $0) }.joined(), "\(problems)")
        // A plain path has no path_bytes, as in the other JSON outputs.
        let plain = TempTree("problem-plain")
        plain.write("netcdf/5min/plot.nc", size: 7)
        let p = try tidemark(["scan", "perdigao/ustar", "--scan", plain.root, "--db", db + "2", "--catalogs", catalogs, "--json"])
        let plainProblems = try #require((try p.json() as? [String: Any])?["problems"] as? [[String: Any]])
        #expect(plainProblems.count == 1 && plainProblems.first?["path_bytes"] == nil)
    }

    @Test func aDanglingLinkIsAProblemWhenLinksAreFollowed() throws {
        let tree = TempTree("dangling")
        makeIsfsTree(tree, days: 1)
        symlink(tree.root + "/nowhere/isfs_20170502_000000.dat", tree.path("raw_data/isfs_20170502_000000.dat"))
        let db = temporaryDirectory("db") + "/c.db"
        let r = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--follow-symlinks", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        let problems = try #require(o["problems"] as? [[String: Any]])
        #expect(o["errors"] as? Int == 1 && o["files"] as? Int == 20)
        #expect(problems.first?["path"] as? String == tree.path("raw_data/isfs_20170502_000000.dat"))
        #expect((problems.first?["message"] as? String)?.contains("dangling symbolic link") == true, "\(problems)")
        // Not followed, it is one more link skipped, as before.
        let skipped = try tidemark(["scan", "perdigao/ustar", "--scan", tree.root, "--db", db, "--catalogs", catalogs, "--json"])
        #expect((try skipped.json() as? [String: Any])?["errors"] as? Int == 0)
    }

    @Test func aTreeDeeperThanPathMaxIsCataloguedAndDeleteReachesIt() throws {
        let tree = TempTree("deep")
        defer { _ = shell("/bin/rm", ["-rf", tree.root]) }
        let defs = temporaryDirectory("deep-defs")
        try FileManager.default.createDirectory(atPath: defs + "/deep", withIntermediateDirectories: true)
        try """
            roots = ["\(tree.root)"]
            [[rule]]
            match = "**/isfs_%Y%m%d_%H%M%S.dat"
            category = "raw"
            stream = "isfs"
            length = "4h"
            """.write(toFile: defs + "/deep/test.toml", atomically: true, encoding: .utf8)
        // 60 levels of 100-byte names: a path of over 6,000 bytes.
        let level = String(repeating: "d", count: 99)
        let names = ["isfs_20170501_000000.dat", "isfs_20170501_040000.dat"]
        let deep = try makeDeep(tree.root, levels: Array(repeating: level, count: 60), files: names)
        #expect(deep.count > Int(PATH_MAX))
        let db = temporaryDirectory("db") + "/c.db"
        let r = try tidemark(["scan", "deep/test", "--db", db, "--catalogs", defs, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let o = try #require(try r.json() as? [String: Any])
        #expect(o["files"] as? Int == 2 && o["new"] as? Int == 2 && o["errors"] as? Int == 0, "\(r.stdout)")
        let rows = try #require(try tidemark(["find", "--db", db, "--json"]).json() as? [[String: Any]])
        #expect(Set(rows.compactMap { $0["path"] as? String }) == Set(names.map { deep + "/" + $0 }))

        let d = try tidemark(["delete", "--context", "deep/test", "--db", db, "--categories", "raw", "--before", "2017-05-01T04:00:00Z", "--yes"])
        #expect(d.status == 0, "\(d.stdout)\(d.stderr)")
        #expect(try existsDeep(tree.root, levels: Array(repeating: level, count: 60), name: names[0]) == false)
        #expect(try existsDeep(tree.root, levels: Array(repeating: level, count: 60), name: names[1]) == true)
    }

    /// Makes `levels` nested directories below `root` one at a time (a whole path that long
    /// cannot be given to mkdir) and writes `files` in the deepest; returns its path.
    private func makeDeep(_ root: String, levels: [String], files: [String]) throws -> String {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        for l in levels {
            #expect(mkdirat(fd, l, 0o755) == 0)
            let next = openat(fd, l, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        for f in files {
            let file = openat(fd, f, O_WRONLY | O_CREAT, 0o644)
            #expect(file >= 0)
            let header = TempTree.nidasArchive(size: 200)
            _ = header.withUnsafeBytes { write(file, $0.baseAddress, header.count) }
            close(file)
        }
        close(fd)
        return ([root] + levels).joined(separator: "/")
    }

    private func existsDeep(_ root: String, levels: [String], name: String) throws -> Bool {
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        for l in levels {
            let next = openat(fd, l, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        defer { close(fd) }
        return faccessat(fd, name, F_OK, 0) == 0
    }
}

import Foundation
import TestSupport

/// One catalogued file as the catalog holds it, with the path it was reached through.
struct CatalogRow {
    var id: Int64
    /// 0 live, 1 missing, 2 deleted, 3 purged.
    var state: Int
    var size: Int64, mtime: Int64, inode: Int64, device: Int64
    var root: String
    var path: String
    var category: String

    static let stateNames = ["live", "missing", "deleted", "purged"]
    var stateName: String { state >= 0 && state < 4 ? Self.stateNames[state] : "state \(state)" }

    /// Whether `st` is the file as catalogued (device, inode, size, mtime).
    func matches(_ st: stat) -> Bool {
        Int64(bitPattern: UInt64(st.st_dev)) == device && Int64(bitPattern: UInt64(st.st_ino)) == inode && Int64(st.st_size) == size
            && Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec) == mtime
    }
}

/// A broken invariant: which, and what the model saw.
struct Violation {
    var invariant: String
    var detail: String
}

extension ModelWorld {
    /// A file row's absolute path, in SQL over `files f JOIN dirs d JOIN roots r`.
    static let pathSQL = "CAST(r.path AS TEXT) || CASE WHEN d.path = X'' THEN '' ELSE '/' || CAST(d.path AS TEXT) END || '/' || CAST(f.name AS TEXT)"

    /// Every file row of the catalog, read with the sqlite3 shell as a person would.
    func catalogRows() throws -> [CatalogRow] {
        let out = try sql(db, """
            SELECT f.id, f.state, f.size, f.mtime, f.inode, f.device, CAST(r.path AS TEXT), \(Self.pathSQL), s.category
            FROM files f JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id JOIN streams s ON s.id = f.stream_id ORDER BY f.id
            """)
        return out.split(separator: "\n").compactMap { line in
            let c = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 9, let id = Int64(c[0]), let state = Int(c[1]), let size = Int64(c[2]), let mtime = Int64(c[3]),
                  let inode = Int64(c[4]), let device = Int64(c[5]) else { return nil }
            return CatalogRow(id: id, state: state, size: size, mtime: mtime, inode: inode, device: device, root: c[6], path: c[7], category: c[8])
        }
    }

    /// Paths of the journal's intents of the latest run: what a killed run had planned.
    func latestIntents() throws -> [String] {
        try sql(db, """
            SELECT \(Self.pathSQL) FROM journal j JOIN files f ON f.id = j.file_id JOIN dirs d ON d.id = f.dir_id JOIN roots r ON r.id = d.root_id
            WHERE j.run_id = (SELECT max(run_id) FROM journal)
            """).split(separator: "\n").map(String.init)
    }

    /// The model file a row names when the row's path reaches it now; nil when the root the
    /// row was reached through is unavailable (unmounted, moved) or names no model file.
    func reachable(_ row: CatalogRow) -> ModelFile? {
        guard let f = file(at: row.path),
              let rowDir = realPath((row.path as NSString).deletingLastPathComponent),
              let fileDir = realPath((path(f) as NSString).deletingLastPathComponent), rowDir == fileDir else { return nil }
        return f
    }

    /// Who to blame: the operator mistakes made so far, for messages.
    func describe(_ f: ModelFile) -> String { "\(f.tree == .copy ? "copy" : "archive") file \(f.rel) [\(f.history.joined(separator: "; "))]" }
}

/// The invariants of DESIGN.md, checked against the model after each step.
enum ModelInvariants {
    /// Removals by one policy run or `delete` (datasets are checked apart: a killed run and
    /// the run that settles it may share one).
    static func removals(_ removed: [ModelFile], before: [ModelFile], planned: Set<String>, policy: ModelPolicy, world: ModelWorld) -> [Violation] {
        var out: [Violation] = []
        let categories = Set(policy.rules.flatMap(\.categories))
        for f in removed {
            if !planned.contains(f.key) {
                out.append(Violation(invariant: "removed ⊆ planned", detail: "\(world.describe(f)) was removed but not in the run's plan"))
            }
            if !categories.contains(f.category) {
                out.append(Violation(invariant: "removed ⊆ planned", detail: "\(world.describe(f)) is of category \(f.category), which the policy does not name"))
            }
            if f.dirty {
                out.append(Violation(invariant: "removed only if unchanged since the scan", detail: "\(world.describe(f)) was changed after the scan that catalogued it, and removed"))
            }
            if !world.underCurrentRoot(f) {
                out.append(Violation(invariant: "nothing outside the definition's current roots removed",
                                     detail: "\(world.describe(f)) at \(world.path(f)) is under none of \(world.currentRoots.joined(separator: ", "))"))
            }
        }
        out += newest(removed, before: before, policy: policy, world: world)
        return out + cover(removed, policy: policy, world: world)
    }

    /// The `keep_newest` newest real (not future-dated) files of each stream stay: every file
    /// newer than the N-th newest, and enough of those as new as it (ties: an operator's copy).
    static func newest(_ removed: [ModelFile], before: [ModelFile], policy: ModelPolicy, world: ModelWorld) -> [Violation] {
        var out: [Violation] = []
        let removedKeys = Set(removed.map(\.key))
        let streams = Dictionary(grouping: before.filter { !$0.future && policy.keep($0.category) != nil }) { "\($0.category)/\($0.stream)" }
        for (stream, files) in streams.sorted(by: { $0.key < $1.key }) {
            let keep = policy.keep(files[0].category)!
            let newest = files.sorted { $0.start > $1.start }.prefix(keep)
            let last = newest.last!.start
            let newer = newest.filter { $0.start > last }
            let tied = files.filter { $0.start == last }
            let lost = newer.filter { removedKeys.contains($0.key) }
                + (tied.filter { !removedKeys.contains($0.key) }.count < newest.count - newer.count ? tied.filter { removedKeys.contains($0.key) } : [])
            guard !lost.isEmpty else { continue }
            let future = world.onDisk.filter { $0.future && "\($0.category)/\($0.stream)" == stream }.map(\.rel)
            out.append(Violation(invariant: "never the newest real file of a stream",
                                 detail: "stream \(stream) lost files among its \(keep) newest real one\(keep == 1 ? "" : "s"): "
                                     + lost.map(world.describe).joined(separator: ", ")
                                     + (future.isEmpty ? "" : "; future-dated files of the stream: \(future.joined(separator: ", "))")))
        }
        return out
    }

    /// A purged file's coverage is still covered, once the run is over, by products on disk
    /// and unchanged since the scan.
    static func cover(_ removed: [ModelFile], policy: ModelPolicy, world: ModelWorld) -> [Violation] {
        var out: [Violation] = []
        for f in removed {
            guard let rule = policy.cleanup(of: f.category) else { continue }
            let products = world.onDisk.filter { $0.category == rule.coveredBy && !$0.dirty && (!rule.sameStream || $0.stream == f.stream) }
                .sorted { $0.start < $1.start }
            var reached = f.start
            for p in products where p.start <= reached && p.end > reached { reached = p.end }
            if reached < f.end {
                // The products of that time that are gone or changed: what the purge relied on.
                let lost = world.files.values.filter { $0.category == rule.coveredBy && $0.start < f.end && $0.end > f.start
                    && (!rule.sameStream || $0.stream == f.stream) && (!$0.onDisk || $0.dirty) }.sorted { $0.start < $1.start }
                out.append(Violation(invariant: "a file used as cover is still there when what it covered is purged",
                                     detail: "\(world.describe(f)) was purged, but \(iso(reached)) to \(iso(f.end)) of it is covered by no \(rule.coveredBy) file "
                                         + "on disk and unchanged; its products gone or changed: "
                                         + (lost.isEmpty ? "none (never there)" : lost.prefix(3).map(world.describe).joined(separator: ", "))
                                         + (lost.count > 3 ? " … (\(lost.count))" : "")))
            }
        }
        return out
    }

    /// Each dataset directory lost all of its files or none.
    static func datasetsWhole(_ removed: [ModelFile], before: [ModelFile], world: ModelWorld) -> [Violation] {
        let removedKeys = Set(removed.map(\.key))
        var out: [Violation] = []
        let sets = Dictionary(grouping: before.filter { $0.dataset != nil }) { "\($0.tree.rawValue):\($0.dataset!)" }
        for (name, members) in sets.sorted(by: { $0.key < $1.key }) {
            let gone = members.filter { removedKeys.contains($0.key) }
            if !gone.isEmpty && gone.count < members.count {
                let kept = members.filter { !removedKeys.contains($0.key) }
                out.append(Violation(invariant: "datasets removed whole or not at all",
                                     detail: "dataset \(name): \(gone.count) of \(members.count) files removed, left: " + kept.map(world.describe).joined(separator: ", ")))
            }
        }
        return out
    }

    /// A plan takes each dataset whole: all its live catalogued files or none.
    static func planWhole(_ planned: Set<String>, rows: [CatalogRow], world: ModelWorld) -> [Violation] {
        var members: [String: Set<String>] = [:]
        for r in rows where r.state == 0 {
            if let f = world.file(at: r.path), let d = f.dataset { members["\(f.tree.rawValue):\(d)", default: []].insert(f.key) }
        }
        return members.sorted { $0.key < $1.key }.compactMap { name, keys in
            let chosen = keys.intersection(planned)
            guard !chosen.isEmpty && chosen.count < keys.count else { return nil }
            return Violation(invariant: "datasets removed whole or not at all (at planning)",
                             detail: "the plan takes \(chosen.count) of the \(keys.count) live files of dataset \(name); left out: \(keys.subtracting(planned).sorted().joined(separator: ", "))")
        }
    }

    /// The catalog agrees with the disk: live rows (of roots scanned since the trees last
    /// moved) exist as catalogued, tombstones do not exist, a physical file has one live row,
    /// and rows the model cannot reach (their root unmounted or moved) keep their state.
    static func catalog(_ rows: [CatalogRow], previous: [Int64: CatalogRow], world: ModelWorld, settled: Bool) -> [Violation] {
        var out: [Violation] = []
        var physical: [String: [String]] = [:]
        for r in rows {
            guard let f = world.reachable(r) else {
                if let p = previous[r.id], p.state == 0, r.state != 0 {
                    out.append(Violation(invariant: "an unavailable root: nothing marked missing or removed",
                                         detail: "\(r.path) became \(r.stateName) while its root \(r.root) was unavailable (the archive's disk is \(world.data))"))
                }
                continue
            }
            var st = stat()
            let present = lstat(r.path, &st) == 0
            switch r.state {
            case 0:
                if present && r.matches(st) { physical["\(st.st_dev):\(st.st_ino)", default: []].append("\(r.path) (root \(r.root))") }
                guard settled, world.freshRoots.contains(r.root) else { break }
                if !present {
                    out.append(Violation(invariant: "the catalog agrees with the disk", detail: "\(r.path) is live in the catalog but not on disk: \(world.describe(f))"))
                } else if !f.dirty && !r.matches(st) {
                    out.append(Violation(invariant: "the catalog agrees with the disk", detail: "\(r.path) is live, but not as catalogued: \(world.describe(f))"))
                }
            default:
                if present && Int64(bitPattern: UInt64(st.st_ino)) == r.inode && Int64(bitPattern: UInt64(st.st_dev)) == r.device {
                    out.append(Violation(invariant: "the catalog agrees with the disk",
                                         detail: "\(r.path) is \(r.stateName) in the catalog but still on disk: \(world.describe(f))"))
                }
            }
        }
        for (_, paths) in physical.sorted(by: { $0.key < $1.key }) where paths.count > 1 {
            out.append(Violation(invariant: "a physical file is catalogued once", detail: "live rows \(paths.joined(separator: " and ")) are one file"))
        }
        return out
    }
}

/// ISO 8601 UTC of Unix seconds.
func iso(_ t: Int) -> String {
    let s = stamp(t)
    return "\(s.prefix(4))-\(s.dropFirst(4).prefix(2))-\(s.dropFirst(6).prefix(2))T\(s.dropFirst(9).prefix(2)):\(s.dropFirst(11).prefix(2)):\(s.suffix(2))Z"
}

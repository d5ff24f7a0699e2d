import Foundation
import TestSupport

/// One physical file the model put on disk, and what the model knows of it.
struct ModelFile {
    /// The physical trees: the archive, and an operator's copy of it.
    enum Tree: String { case data, copy }

    let tree: Tree
    let rel: String
    let category: String
    let stream: String
    /// The dataset directory (`sets/<name>`), for members of one.
    let dataset: String?
    /// Coverage from the name, in Unix seconds: `[start, end)`.
    let start: Int
    let end: Int
    /// Named after now (plus a tolerance): not a real newest file.
    let future: Bool
    var onDisk = true
    /// Changed since the last completed scan that covered it (new files too: not yet catalogued).
    var dirty = true
    /// What happened to it, step by step, for failure messages.
    var history: [String] = []

    var key: String { Self.key(tree, rel) }
    static func key(_ tree: Tree, _ rel: String) -> String { "\(tree.rawValue):\(rel)" }
}

/// Where the archive's tree is, after the operator's mistakes.
enum DataPlace: Equatable {
    case inPlace
    /// An empty directory where the root was (a disk not mounted); the files are elsewhere.
    case unmounted
    /// Renamed away: nothing at the root's path.
    case moved
}

/// The model's world: an archive tree on disk built by the test, the definition and policy
/// files, and everything the test knows about them; operator mistakes change it.
final class ModelWorld {
    static let context = "model/site"
    static let hour = 3600, day = 86_400

    let base = TempTree("engine-model")
    var world: String { base.root + "/world" }
    var catalogs: String { base.root + "/catalogs" }
    var policies: String { base.root + "/policies" }
    var db: String { base.root + "/catalog/c.db" }
    var dataRoot: String { world + "/data" }
    var aliasRoot: String { world + "/alias" }
    var copyRoot: String { world + "/copy" }
    var movedRoot: String { world + "/data-moved" }
    var awayRoot: String { world + "/.disk-away" }

    let now: Int
    var rng: SplitMix
    var files: [String: ModelFile] = [:]
    var data = DataPlace.inPlace
    var copyExists = false
    var aliasExists = false
    /// The definition's roots (the nested-roots mistake adds one inside the other).
    var definitionRoots: [String] = []
    /// `--scan` roots of the latest completed scan (none for a scan of the definition's roots).
    var lastScanRoots: [String] = []
    /// Roots scanned since the trees last moved: their live rows must match the disk.
    var freshRoots = Set<String>()

    let dsms: [String]
    let hasCamera: Bool
    /// Midnight of the first day of data.
    let firstDay: Int
    /// Raw files have arrived up to here (exclusive), on 4-hour boundaries.
    var horizon: Int
    /// Days whose products (daily file, dataset) were decided.
    var decidedDays = Set<Int>()
    var setCount = 0

    init(seed: UInt64, now: Int) {
        self.now = now
        var rng = SplitMix(seed: seed)
        dsms = Array(["tse01", "tse02", "tse03"].prefix(Int.random(in: 1...3, using: &rng)))
        hasCamera = Int.random(in: 0..<3, using: &rng) == 0
        firstDay = (now / Self.day - Int.random(in: 4...6, using: &rng)) * Self.day
        horizon = firstDay
        self.rng = rng
        for dir in [world, catalogs + "/model", policies, base.root + "/catalog", dataRoot] {
            try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        definitionRoots = [dataRoot]
        writeDefinition()
    }

    // MARK: paths

    /// Where a tree is on disk now.
    func location(_ tree: ModelFile.Tree) -> String {
        switch tree {
        case .copy: copyRoot
        case .data: data == .inPlace ? dataRoot : data == .unmounted ? awayRoot : movedRoot
        }
    }

    func path(_ f: ModelFile) -> String { location(f.tree) + "/" + f.rel }

    /// The model file a catalogued or planned path names, by the root it was reached through
    /// (the tree may have moved since).
    func logical(_ path: String) -> (tree: ModelFile.Tree, rel: String)? {
        let prefixes: [(String, ModelFile.Tree)] = [(dataRoot, .data), (aliasRoot, .data), (movedRoot, .data), (awayRoot, .data), (copyRoot, .copy)]
        for (prefix, tree) in prefixes where path.hasPrefix(prefix + "/") { return (tree, String(path.dropFirst(prefix.count + 1))) }
        return nil
    }

    func file(at path: String) -> ModelFile? { logical(path).flatMap { files[ModelFile.key($0.tree, $0.rel)] } }

    /// The roots deletion may act under now: the definition's, and the `--scan` roots of the
    /// latest completed scan.
    var currentRoots: [String] { Array(Set(definitionRoots + lastScanRoots)).sorted() }

    /// Whether `f` lies physically under one of the current roots.
    func underCurrentRoot(_ f: ModelFile) -> Bool {
        let p = path(f)
        return currentRoots.contains { root in realPath(root).map { p.hasPrefix($0 + "/") } ?? false }
    }

    // MARK: definition

    /// Writes `catalogs/model/site.toml` with `definitionRoots`.
    func writeDefinition() {
        let roots = definitionRoots.map { "\"\($0)\"" }.joined(separator: ", ")
        let text = """
            context = "\(Self.context)"
            roots = [\(roots)]
            ignore = ["**/.*"]
            other_time = ["mtime"]

            [[rule]]
            match = "raw/{dsm}_%Y%m%d_%H%M%S.dat"
            category = "raw"
            stream = "{dsm}"
            length = "4h"
            time = ["name"]

            [[rule]]
            match = "daily/{dsm}_%Y%m%d.dat"
            category = "daily"
            stream = "{dsm}"
            length = "1d"
            time = ["name"]

            [[rule]]
            match = "sets/{set}/part_%Y%m%d_%H%M%S.dat"
            category = "dbset"
            stream = "sets"
            dataset = "{set}"
            length = "1h"
            time = ["name"]

            [[rule]]
            match = "night/{cam}_%Y%m%d.dat"
            category = "night"
            stream = "{cam}"
            length = "1d"
            time = ["name"]

            [[rule]]
            match = "frames/{cam}_%Y%m%d_%H%M%S.dat"
            category = "frames"
            stream = "{cam}"
            length = "10m"
            time = ["name"]

            """
        try! text.write(toFile: catalogs + "/model/site.toml", atomically: true, encoding: .utf8)
    }

    // MARK: files

    /// Puts a new file in the data tree.
    func add(_ rel: String, category: String, stream: String, start: Int, length: Int, dataset: String? = nil, step: Int) {
        var f = ModelFile(tree: .data, rel: rel, category: category, stream: stream, dataset: dataset, start: start, end: start + length,
                          future: start > now + Self.day)
        f.history.append("written at step \(step)")
        writeBytes(path(f), count: Int.random(in: 10...200, using: &rng))
        files[f.key] = f
    }

    private func writeBytes(_ path: String, count: Int) {
        try! FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        precondition(FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x2a, count: count)), "cannot write \(path)")
    }

    /// New data up to `until`: raw files of each stream; for each day they complete, its daily
    /// product (most days) and a dataset (some days); camera nights with their frames.
    func arrive(until: Int, step: Int) {
        let slot = 4 * Self.hour
        var t = horizon
        while t + slot <= until {
            for dsm in dsms { add("raw/\(dsm)_\(stamp(t)).dat", category: "raw", stream: dsm, start: t, length: slot, step: step) }
            t += slot
        }
        horizon = max(horizon, t)
        var d = firstDay
        while d + Self.day <= horizon {
            defer { d += Self.day }
            guard !decidedDays.contains(d) else { continue }
            decidedDays.insert(d)
            // The first day always gets its products, so every category exists from the first scan.
            let first = decidedDays.count == 1
            for dsm in dsms where first || Int.random(in: 0..<5, using: &rng) > 0 {
                add("daily/\(dsm)_\(dayStamp(d)).dat", category: "daily", stream: dsm, start: d, length: Self.day, step: step)
            }
            if first || Int.random(in: 0..<5, using: &rng) < 3 {
                setCount += 1
                let name = String(format: "db%03d", setCount)
                for i in 0..<Int.random(in: 2...4, using: &rng) {
                    let s = d + (1 + i) * Self.hour
                    add("sets/\(name)/part_\(stamp(s)).dat", category: "dbset", stream: "sets", start: s, length: Self.hour, dataset: name, step: step)
                }
            }
            if hasCamera && decidedDays.count <= 2 {
                add("night/cam1_\(dayStamp(d)).dat", category: "night", stream: "cam1", start: d, length: Self.day, step: step)
                if first || Bool.random(using: &rng) {
                    for i in 0..<144 {
                        let s = d + i * 600
                        add("frames/cam1_\(stamp(s)).dat", category: "frames", stream: "cam1", start: s, length: 600, step: step)
                    }
                }
            }
        }
    }

    /// Categories the catalog holds once the first scan is done.
    var categories: [String] { ["raw", "daily", "dbset"] + (hasCamera ? ["night", "frames"] : []) }

    /// Files the model believes are on disk, by key.
    var onDisk: [ModelFile] { files.values.filter(\.onDisk).sorted { $0.key < $1.key } }

    /// Files that vanished from disk since the model last looked (only Tidemark removes files).
    func vanished(step: Int) -> [ModelFile] {
        var gone: [ModelFile] = []
        for f in onDisk where !exists(path(f)) {
            files[f.key]!.onDisk = false
            files[f.key]!.history.append("removed at step \(step)")
            gone.append(f)
        }
        return gone
    }

    /// After a completed scan of `roots`: the files below them are catalogued as they are.
    func scanned(_ roots: [String]) {
        let real = roots.compactMap(realPath)
        for f in onDisk where f.dirty {
            let p = path(f)
            // Hidden directories (the unmounted disk's hiding place) are ignored by the definition.
            if real.contains(where: { p.hasPrefix($0 + "/") && !p.dropFirst($0.count).contains("/.") }) { files[f.key]!.dirty = false }
        }
        freshRoots.formUnion(roots)
    }

    // MARK: operator mistakes on disk

    /// How an operator (or a data system) changes a file in place.
    enum Change: CaseIterable {
        case sameSizeMtimeRestored, grownMtimeRestored, touched

        var text: String {
            switch self {
            case .sameSizeMtimeRestored: "rewritten in place, same size, mtime restored"
            case .grownMtimeRestored: "appended to in place, mtime restored"
            case .touched: "touched (mtime changed)"
            }
        }
    }

    func change(_ key: String, _ how: Change, step: Int, why: String) {
        guard let f = files[key], f.onDisk else { return }
        let p = path(f)
        var st = stat()
        guard lstat(p, &st) == 0 else { return }
        let fd = open(p, O_WRONLY)
        precondition(fd >= 0, "cannot open \(p)")
        var bytes = [UInt8](repeating: 0x2b, count: how == .grownMtimeRestored ? 7 : Int(st.st_size))
        let offset = how == .grownMtimeRestored ? off_t(st.st_size) : 0
        if how != .touched { _ = bytes.withUnsafeMutableBytes { pwrite(fd, $0.baseAddress, $0.count, offset) } }
        close(fd)
        var times = [st.st_atim, st.st_mtim]
        if how == .touched { times[1].tv_sec += 1 }
        _ = utimensat(AT_FDCWD, p, &times, AT_SYMLINK_NOFOLLOW)
        files[key]!.dirty = true
        files[key]!.history.append("\(how.text) at step \(step) (\(why))")
    }

    /// The archive's disk unmounted: an empty directory where the root was.
    func unmount() throws {
        try system(rename(dataRoot, awayRoot), "rename \(dataRoot)")
        try system(mkdir(dataRoot, 0o755), "mkdir \(dataRoot)")
        moved(to: .unmounted)
    }

    func remount() throws {
        try system(rmdir(dataRoot), "rmdir \(dataRoot) (the empty mount point)")
        try system(rename(awayRoot, dataRoot), "rename \(awayRoot)")
        moved(to: .inPlace)
    }

    func moveAway() throws {
        try system(rename(dataRoot, movedRoot), "rename \(dataRoot)")
        moved(to: .moved)
    }

    func moveBack() throws {
        try system(rename(movedRoot, dataRoot), "rename \(movedRoot)")
        moved(to: .inPlace)
    }

    /// No root's rows can be trusted to match the disk until it is scanned again.
    private func moved(to place: DataPlace) {
        data = place
        freshRoots = []
    }

    private func system(_ rc: Int32, _ what: String) throws {
        if rc != 0 { throw ModelError("\(what): \(String(cString: strerror(errno)))") }
    }

    /// A copy of the archive beside it (`cp -a`: times kept).
    func makeCopy(step: Int) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/cp")
        p.arguments = ["-a", dataRoot, copyRoot]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 { throw ModelError("cp -a \(dataRoot) \(copyRoot) failed") }
        for f in onDisk where f.tree == .data {
            var c = ModelFile(tree: .copy, rel: f.rel, category: f.category, stream: f.stream, dataset: f.dataset, start: f.start, end: f.end,
                              future: f.future)
            c.history.append("copied from the archive at step \(step)")
            files[c.key] = c
        }
        copyExists = true
    }

    func makeAlias() throws {
        try system(symlink(dataRoot, aliasRoot), "symlink \(aliasRoot)")
        aliasExists = true
    }
}

/// The model's own world could not be changed as asked (a test problem, not an engine one).
struct ModelError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// `yyyyMMdd_HHmmss` (UTC) of Unix seconds.
func stamp(_ t: Int) -> String {
    var tt = time_t(t), tm = tm()
    gmtime_r(&tt, &tm)
    return String(format: "%04d%02d%02d_%02d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)
}

/// `yyyyMMdd` (UTC) of Unix seconds.
func dayStamp(_ t: Int) -> String { String(stamp(t).prefix(8)) }

/// The path with every symbolic link resolved; nil when it does not exist.
func realPath(_ p: String) -> String? {
    guard let r = realpath(p, nil) else { return nil }
    defer { free(r) }
    return String(cString: r)
}

func exists(_ p: String) -> Bool {
    var st = stat()
    return lstat(p, &st) == 0
}

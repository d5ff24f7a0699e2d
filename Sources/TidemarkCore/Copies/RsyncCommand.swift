/// rsync's argv for a copy and for its verification — an array, never a shell string. The
/// source is a root and a NUL-separated list of paths relative to it (`--files-from`,
/// `--from0`), so exactly the listed files go, whatever their names hold; `--partial` keeps
/// what a killed run had sent, for the next run to resume; `--mkpath` makes the destination.
public struct RsyncCommand: Sendable, Hashable {
    /// The rsync program (a name looked up in PATH, or a path).
    public var program: String
    /// The shell to the host; nil for this machine.
    public var shell: RemoteShell?
    /// Verify by checksum rather than size and modification time.
    public var checksum: Bool

    /// An rsync to `shell`'s host (nil: this machine).
    public init(program: String = "rsync", shell: RemoteShell?, checksum: Bool = false) {
        self.program = program; self.shell = shell; self.checksum = checksum
    }

    /// Copies the files `list` names (relative to `root`) to `destination`.
    public func copy(root: PathBytes, list: String, destination: PathBytes) -> [String] {
        [program, "-a", "--partial", "--mkpath", "-s", "--from0", "--files-from=" + list] + shellOption
            + ["--", Self.directory(root), target(destination)]
    }

    /// A dry run of the same copy that prints one itemized change per file it would send.
    public func verify(root: PathBytes, list: String, destination: PathBytes) -> [String] {
        [program, "-a", "--dry-run", "--out-format=%i", "-s", "--from0", "--files-from=" + list] + (checksum ? ["--checksum"] : [])
            + shellOption + ["--", Self.directory(root), target(destination)]
    }

    /// How many files a verifying dry run's output says are still to send: lines that
    /// transfer, create or link something, and files whose attributes differ (directories'
    /// times are not counted: other datasets' files change them).
    public static func pending(_ output: [UInt8]) -> Int {
        String(decoding: output, as: UTF8.self).split(separator: "\n").filter { line in
            guard let first = line.first else { return false }
            return "<>ch".contains(first) || line.hasPrefix(".f") || line.hasPrefix(".L")
        }.count
    }

    private var shellOption: [String] { shell.map { ["-e", $0.rsyncShell] } ?? [] }

    private func target(_ destination: PathBytes) -> String {
        let dir = Self.directory(destination)
        return shell.map { "\($0.destination):\(dir)" } ?? dir
    }

    /// The path with one trailing '/': its contents, not itself.
    private static func directory(_ path: PathBytes) -> String {
        var p = String(decoding: path, as: UTF8.self)
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p == "/" ? p : p + "/"
    }
}

/// rsync's argv for a copy and for its verification — an array, never a shell string. The
/// source is a root and paths relative to it, so exactly the listed files go, whatever their
/// names hold; `--partial` keeps what a killed run had sent, for the next run to resume;
/// `--mkpath` makes the destination.
///
/// The paths go in the argv itself (`./PATH`, rsync started in the root; `--relative
/// --no-recursive --dirs`: what `--files-from` implies) when they fit (`RsyncFiles.arguments`);
/// otherwise in a NUL-separated list file (`--files-from`, `--from0`), which rsync reads one
/// byte per system call (two with its poll) and whose paths it opens component by component:
/// in the argv the same files cost a dry run a quarter of the CPU. Both send and verify the
/// same files.
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

    /// Copies `files` (relative to `root`) to `destination`.
    public func copy(root: PathBytes, files: RsyncFiles, destination: PathBytes) -> [String] {
        [program, "-a", "--partial", "--mkpath", "-s"] + sources(root, files, destination)
    }

    /// A dry run of the same copy that prints one itemized change per file it would send.
    public func verify(root: PathBytes, files: RsyncFiles, destination: PathBytes) -> [String] {
        [program, "-a", "--dry-run", "--out-format=%i", "-s"] + (checksum ? ["--checksum"] : []) + sources(root, files, destination)
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

    /// The options naming the files, the shell, and then the sources and the destination.
    private func sources(_ root: PathBytes, _ files: RsyncFiles, _ destination: PathBytes) -> [String] {
        switch files {
        case .arguments(let paths):
            // "./": where the relative path starts, and no name is taken for `host:path`.
            return ["--relative", "--no-recursive", "--dirs"] + shellOption + ["--"] + paths.map { "./" + String(decoding: $0, as: UTF8.self) }
                + [target(destination)]
        case .listFile(let list):
            return ["--from0", "--files-from=" + list] + shellOption + ["--", Self.directory(root), target(destination)]
        }
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

/// How rsync is told which files to send.
public enum RsyncFiles: Sendable, Hashable {
    /// In the argv, each after `./`, for an rsync started in the root (`argumentBytes` says
    /// when they may go there).
    case arguments([PathBytes])
    /// In a NUL-separated list file at this path.
    case listFile(String)

    /// Bytes of paths that go in one argv by default; the kernel allows `ARG_MAX` (2 MiB
    /// here) for the argv and the environment together.
    public static let argumentBudget = 1 << 20

    /// What `files` cost in an argv: nil when they cannot go there — one is not UTF-8 (an
    /// argv is text here; such names go in a list file, as they are), the root is not (the
    /// program starts in it), or the C library cannot start a program in a directory.
    public static func argumentBytes(_ files: [PathBytes], root: PathBytes) -> Int? {
        guard ProcessRunner.canStartInDirectory, String(validating: root, as: UTF8.self) != nil else { return nil }
        var total = 0
        for f in files {
            guard !f.contains(0), String(validating: f, as: UTF8.self) != nil else { return nil }
            total += f.count + 3 + MemoryLayout<UnsafePointer<CChar>>.size  // "./", its NUL, its pointer
        }
        return total
    }
}

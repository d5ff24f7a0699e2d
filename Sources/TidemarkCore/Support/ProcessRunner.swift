import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs one program from an argv array — never a shell string, so names with spaces,
/// newlines or quotes reach it as they are — with standard input from /dev/null, and says how
/// it ended: its exit status or the signal that killed it, whether it ran out of time, what
/// it wrote to standard output (up to a limit) and the tail of what it wrote to standard
/// error. rsync, ssh and update commands run through it.
///
/// The program gets a process group of its own, so on timeout the whole group (rsync and the
/// ssh it started) is sent SIGTERM, then SIGKILL after `killGrace` if it is still there.
public struct ProcessRunner: Sendable {
    /// Seconds the program may run; nil for no limit.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL when the time is up.
    public var killGrace: Double = 2
    /// At most this many bytes of standard output are kept (the rest is read and dropped).
    public var stdoutLimit: Int = 1 << 20
    /// The last this many bytes of standard error are kept.
    public var stderrTail: Int = 4096
    /// The program's environment; nil for this process's own.
    public var environment: [String: String]?
    /// The directory the program starts in; nil for this process's own. Only where the C
    /// library can (`canStartInDirectory`); elsewhere `run` refuses with ENOSYS.
    public var workingDirectory: String?

    /// A runner with a time limit (nil: none).
    public init(timeout: Double? = nil) { self.timeout = timeout }

    /// How a program ended.
    public struct Outcome: Sendable {
        /// Its exit status, when it exited.
        public var status: Int32?
        /// The signal that ended it, when one did.
        public var signal: Int32?
        /// Whether it was killed because its time was up.
        public var timedOut: Bool
        /// Whether it was killed because `run`'s `tick` said to stop.
        public var cancelled = false
        /// What it wrote to standard output (up to the runner's limit).
        public var stdout: [UInt8]
        /// Whether standard output went past the limit.
        public var stdoutTruncated: Bool
        /// The end of what it wrote to standard error, as text.
        public var stderrTail: String
        /// Seconds from start to end.
        public var seconds: Double

        /// Exited with status 0.
        public var succeeded: Bool { status == 0 }

        /// "exit status 3", "killed by signal 9 (timed out)", for messages.
        public var summary: String {
            let how = status.map { "exit status \($0)" } ?? "killed by signal \(signal ?? 0)"
            return timedOut ? "\(how) (timed out)" : how
        }
    }

    /// A program that could not be started.
    public struct StartError: Error, Sendable, CustomStringConvertible {
        /// The program as given.
        public var program: String
        /// The errno of the failure.
        public var errno: Int32
        public var description: String {
            "cannot run \(program): " + (errno == ENOENT ? "no such program" : String(cString: strerror(errno)))
        }
    }

    /// Runs `argv` (its first element the program: a path, or a name looked up in PATH) and
    /// waits for it to end. `tick` is called about once a second meanwhile (a copy renews its
    /// lease there); its false ends the program as a timeout does, the outcome `cancelled`.
    public func run(_ argv: [String], tick: () -> Bool = { true }) throws(StartError) -> Outcome {
        precondition(!argv.isEmpty, "an argv names at least the program")
        let started = Date()
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard Self.closeOnExecPipe(&outPipe) else { throw StartError(program: argv[0], errno: errno) }
        guard Self.closeOnExecPipe(&errPipe) else {
            let e = errno
            close(outPipe[0]); close(outPipe[1])
            throw StartError(program: argv[0], errno: e)
        }
        let pid: pid_t
        do { pid = try spawn(argv, stdout: outPipe[1], stderr: errPipe[1]) } catch {
            for fd in outPipe + errPipe { close(fd) }
            throw error
        }
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }

        var out: [UInt8] = [], err: [UInt8] = [], truncated = false
        var open = [outPipe[0], errPipe[0]]
        var timedOut = false, cancelled = false, killAt: Date?, nextTick = started.addingTimeInterval(1)
        let deadline = timeout.map { started.addingTimeInterval($0) }
        // Once the time is up (or `tick` says stop): SIGTERM to the group, then SIGKILL after the grace.
        func enforceDeadline() {
            if !timedOut, !cancelled, Date() >= nextTick {
                nextTick = Date().addingTimeInterval(1)
                if !tick() {
                    cancelled = true
                    kill(-pid, SIGTERM)
                    killAt = Date().addingTimeInterval(killGrace)
                }
            }
            if let d = deadline, !timedOut, !cancelled, Date() >= d {
                timedOut = true
                kill(-pid, SIGTERM)
                killAt = Date().addingTimeInterval(killGrace)
            } else if let k = killAt, Date() >= k {
                kill(-pid, SIGKILL)
                killAt = nil
            }
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        // Read both pipes until they close, keeping an eye on the clock.
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let wait = (killAt ?? deadline).map { max(0, Int32($0.timeIntervalSinceNow * 1000)) } ?? 1000
            let ready = poll(&fds, nfds_t(fds.count), min(wait, 1000))
            if ready < 0 && errno != EINTR { break }
            for f in fds where f.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(f.fd, $0.baseAddress, $0.count) }
                if n <= 0 {
                    if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                    open.removeAll { $0 == f.fd }
                } else if f.fd == outPipe[0] {
                    let room = max(0, stdoutLimit - out.count)
                    out += buffer[0..<min(n, room)]
                    if n > room { truncated = true }
                } else {
                    err += buffer[0..<n]
                    if err.count > 2 * stderrTail { err.removeFirst(err.count - stderrTail) }
                }
            }
            enforceDeadline()
        }
        // The pipes are closed: the program ended, or closed them and goes on (still timed).
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno != EINTR) { break }
            enforceDeadline()
            usleep(5_000)
        }
        if timedOut || cancelled { kill(-pid, SIGKILL) }  // whatever of its group is left
        let exited = status & 0x7f == 0
        var outcome = Outcome(status: exited ? (status >> 8) & 0xff : nil, signal: exited ? nil : status & 0x7f, timedOut: timedOut,
                              stdout: out, stdoutTruncated: truncated, stderrTail: String(decoding: err.suffix(stderrTail), as: UTF8.self),
                              seconds: Date().timeIntervalSince(started))
        outcome.cancelled = cancelled
        return outcome
    }

    /// Whether a program can be started in another directory (`workingDirectory`).
    public static var canStartInDirectory: Bool { addChdir != nil }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29 and later), which Swift's Glibc
    /// module does not declare: found once at run time.
    private static let addChdir: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32).self)
    }()

    /// A pipe whose ends other programs started meanwhile do not inherit (Glibc's `pipe2`
    /// is not visible to Swift).
    private static func closeOnExecPipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    /// posix_spawn(p) with /dev/null as standard input, the pipes as standard output and
    /// error, nothing else inherited, signals at their defaults, in a process group of its own.
    private func spawn(_ argv: [String], stdout: Int32, stderr: Int32) throws(StartError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        closeInheritedDescriptors(&actions)
        if let workingDirectory {
            guard let addChdir = Self.addChdir else { throw StartError(program: argv[0], errno: ENOSYS) }
            _ = addChdir(&actions, workingDirectory)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t(), empty = sigset_t()
        sigfillset(&defaults)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let env = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = env.map { strdup($0) } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = argv[0].contains("/")
            ? posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
            : posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else { throw StartError(program: argv[0], errno: rc) }
        return pid
    }
}

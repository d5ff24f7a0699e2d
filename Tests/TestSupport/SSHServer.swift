import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TidemarkCore

/// A real OpenSSH server for one test, on a loopback address and a free port, with host and
/// client keys generated in a temporary directory and an sshd_config of its own. The client
/// side is an ssh configuration file (`sshConfig`) that knows the server's host key, and the
/// client key (`identity`) is what a host row names. Stopped (and its keys removed) on `stop`
/// or when released.
public final class SSHServer: @unchecked Sendable {
    /// The directory holding the keys and configuration.
    public let directory: String
    /// The loopback address it listens on.
    public let address: String
    /// The port it listens on.
    public let port: Int
    /// The client's private key, for `host add --identity`.
    public var identity: String { directory + "/id_client" }
    /// An ssh client configuration file that trusts this server's host key (`--ssh-config`).
    public var sshConfig: String { directory + "/ssh_config" }
    private var pid: pid_t = 0

    /// Generates the keys and starts sshd on `address` (127.0.0.2, 127.0.0.3, …).
    public init(address: String) throws {
        self.address = address
        directory = temporaryDirectory("sshd")
        port = try Self.freePort(address)
        try Self.keygen(directory + "/host_ed25519")
        try Self.keygen(identity)
        try FileManager.default.copyItem(atPath: identity + ".pub", toPath: directory + "/authorized_keys")
        let hostKey = try String(contentsOfFile: directory + "/host_ed25519.pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[\(address)]:\(port) \(hostKey)\n".write(toFile: directory + "/known_hosts", atomically: true, encoding: .utf8)
        try """
            UserKnownHostsFile \(directory)/known_hosts
            GlobalKnownHostsFile /dev/null
            StrictHostKeyChecking yes
            CheckHostIP no
            LogLevel ERROR

            """.write(toFile: sshConfig, atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        try start()
    }

    deinit { stop() }

    /// Starts (or restarts) sshd on its port.
    public func start() throws {
        try """
            ListenAddress \(address):\(port)
            HostKey \(directory)/host_ed25519
            AuthorizedKeysFile \(directory)/authorized_keys
            StrictModes no
            UsePAM no
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin prohibit-password
            PidFile \(directory)/sshd.pid
            LogLevel ERROR

            """.write(toFile: directory + "/sshd_config", atomically: true, encoding: .utf8)
        // posix_spawn, not Foundation's Process: Foundation's child monitor blocks in wait4 on a
        // long-running child, and the test's other programs are then never seen to exit.
        let argv = ["/usr/sbin/sshd", "-D", "-e", "-f", directory + "/sshd_config"]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        closeInheritedDescriptors(&actions)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var child: pid_t = 0
        guard posix_spawn(&child, argv[0], &actions, nil, cArgs, environ) == 0 else {
            throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "cannot start /usr/sbin/sshd"])
        }
        pid = child
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(address, port) {
            guard kill(child, 0) == 0, Date() < deadline else {
                stop()
                throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "sshd did not start on \(address):\(port)"])
            }
            usleep(20_000)
        }
    }

    /// Stops sshd (its connections end with it); the keys stay for a restart.
    public func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        pid = 0
    }

    /// Runs ssh-keygen for a new ed25519 key without a passphrase.
    private static func keygen(_ path: String) throws {
        let r = try runTool("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "tidemark-test", "-f", path])
        guard r.status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "ssh-keygen: \(r.stderr)"]) }
    }

    /// A port nothing listens on at `address` now (the kernel's pick).
    private static func freePort(_ address: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = 0
        inet_pton(AF_INET, address, &a.sin_addr)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "no free port on \(address)"]) }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    /// Whether a TCP connection to `address`:`port` is accepted.
    static func accepts(_ address: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, address, &a.sin_addr)
        return withUnsafePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

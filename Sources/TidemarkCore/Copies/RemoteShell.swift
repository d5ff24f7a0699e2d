/// How a host is reached: ssh's argv for a remote command, and the same ssh as rsync's `-e`.
/// Always `BatchMode=yes` (a prompt for a password or a host key fails at once, never hangs),
/// the port and identity of the host's row, and an ssh configuration file when one is given.
public struct RemoteShell: Sendable, Hashable {
    /// The host (its address non-nil: this machine needs no shell).
    public var host: HostAddress
    /// An ssh configuration file (`ssh -F`), e.g. with the known hosts of the copy hosts.
    public var configFile: String?
    /// Seconds ssh waits for the connection.
    public var connectTimeout: Int

    /// The shell that reaches `host`; nil for this machine.
    public init?(host: HostAddress, configFile: String? = nil, connectTimeout: Int = 15) {
        guard host.address != nil else { return nil }
        self.host = host; self.configFile = configFile; self.connectTimeout = connectTimeout
    }

    /// ssh and its options, up to the destination.
    public var sshArguments: [String] {
        var a = ["ssh"]
        if let configFile { a += ["-F", configFile] }
        a += ["-o", "BatchMode=yes", "-o", "ConnectTimeout=\(connectTimeout)"]
        if let port = host.port { a += ["-p", String(port)] }
        if let identity = host.identity { a += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        return a
    }

    /// `[user@]address`.
    public var destination: String { host.sshDestination! }

    /// The argv that runs `command` on the host. ssh hands the remote shell one string, so
    /// each word is quoted for it here (the one place a shell sees our words).
    public func argv(_ command: [String]) -> [String] {
        sshArguments + [destination, "--"] + [command.map(Self.shellQuoted).joined(separator: " ")]
    }

    /// The value of rsync's `-e`: rsync splits it at spaces outside quotes, and inside quotes
    /// takes a doubled quote as one (it knows no backslash).
    public var rsyncShell: String {
        sshArguments.map { w in
            w.contains(where: { " '\"".contains($0) }) ? "'" + w.replacingOccurrences(of: "'", with: "''") + "'" : w
        }.joined(separator: " ")
    }

    /// `word` single-quoted for a POSIX shell unless it is plainly safe.
    public static func shellQuoted(_ word: String) -> String {
        if !word.isEmpty && word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:@,+".contains($0)) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

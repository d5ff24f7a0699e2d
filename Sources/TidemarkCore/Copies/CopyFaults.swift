/// How an rsync (or ssh) run ended, as an IPP fault code. The one place the map lives:
///
/// | rsync / ssh ended with                                   | fault                |
/// |----------------------------------------------------------|----------------------|
/// | 0                                                        | none (copied)        |
/// | 23, 24 (partial transfer: source files vanished or unreadable) | 5 data         |
/// | 30, 35 (timeout in data send/receive, daemon connection) | 6 timeout            |
/// | killed by our `--timeout`                                | 6 timeout            |
/// | 255 (ssh: refused, unreachable, reset), 5 (protocol start), 10 (socket I/O), 12 (protocol data stream) | 2 system |
/// | "No space left on device" in rsync's message, any status | 2 system             |
/// | 255 with ssh's own configuration or authentication words ("Permission denied", "Host key verification failed", "Bad configuration option", "no such identity", "Could not resolve hostname") | 3 configuration |
/// | 1 (syntax or usage), 2 (protocol incompatibility), 4 (action not supported) | 3 configuration |
/// | anything else (11 file I/O, 20 signal, …)                | 1 unknown            |
///
/// 2 and 6 are transient: `revert copies` retries them without being told.
public enum CopyFaults {
    /// The fault for an rsync run that ended with `status` (nil: killed by a signal), having
    /// run out of time when `timedOut`, with `stderr` its last words; nil when it succeeded.
    public static func fault(status: Int32?, timedOut: Bool, stderr: String) -> FaultCode? {
        if timedOut { return .timeout }
        guard let status else { return .unknown }
        if status == 0 { return nil }
        if stderr.contains("No space left on device") || stderr.contains("Disk quota exceeded") { return .system }
        switch status {
        case 23, 24: return .data
        case 30, 35: return .timeout
        case 255, 5, 10, 12:
            return sshConfigurationWords.contains(where: stderr.contains) ? .configuration : .system
        case 1, 2, 4: return .configuration
        default: return .unknown
        }
    }

    /// What ssh says when the fault is in its configuration or credentials, not the network:
    /// retrying will not help until a person changes something.
    static let sshConfigurationWords = [
        "Permission denied", "Host key verification failed", "Bad configuration option", "no such identity",
        "Could not resolve hostname", "Too many authentication failures", "REMOTE HOST IDENTIFICATION HAS CHANGED",
        "Load key", "bad permissions", "command not found",
    ]
}

/// Why queued work (a copy, an update request) stopped: the IPP fault codes, stored as
/// their numbers. Codes 2 and 6 are transient and `revert` retries them; the rest wait for a person.
public enum FaultCode: Int, Sendable, CaseIterable, Codable {
    case unknown = 1
    /// A system call failed, or NFS did.
    case system = 2
    case configuration = 3
    case programming = 4
    case data = 5
    case timeout = 6

    /// The name shown and accepted on the command line.
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .system: "system"
        case .configuration: "configuration"
        case .programming: "programming"
        case .data: "data"
        case .timeout: "timeout"
        }
    }

    /// Worth retrying by `revert` without a person looking first.
    public var isTransient: Bool { self == .system || self == .timeout }
}

/// Where a catalogued file stands. Gone files are kept as tombstones with their coverage.
public enum FileState: Int, Sendable, CaseIterable, Codable {
    /// On disk as catalogued.
    case live = 0
    /// Found gone by a scan.
    case missing = 1
    /// Removed by Tidemark (age-off, cleanup).
    case deleted = 2
    /// Removed as an input whose product exists; may be regenerated on request.
    case purged = 3

    public var name: String {
        switch self {
        case .live: "live"
        case .missing: "missing"
        case .deleted: "deleted"
        case .purged: "purged"
        }
    }

    public init?(name: String) {
        guard let s = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }

    public var isGone: Bool { self != .live }
}

extension TimeSource {
    /// The small integer stored in the catalog (file_view names each one).
    public var code: Int {
        switch self {
        case .name: 1
        case .fits: 2
        case .netcdf: 3
        case .nidas: 4
        case .mtime: 5
        case .dataset: 6
        case .header: 7
        // Before v9 it was stored as 4 and read back as nidas; those rows stay so.
        case .nidasSamples: 8
        }
    }

    public init?(code: Int) {
        guard let s = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = s
    }
}

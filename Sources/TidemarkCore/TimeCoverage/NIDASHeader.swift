/// The ASCII header of a NIDAS raw archive (plain or .bz2): who wrote it and for what
/// project. It carries no time; `NIDASReader` keeps it as file metadata.
public struct NIDASHeader: Sendable, Equatable {
    /// The first line: `NIDAS (ncar.ucar.edu)` or `NCAR ADS3`.
    public var identity: String
    public var archiveVersion: String?
    public var softwareVersion: String?
    public var projectName: String?
    public var systemName: String?
    public var configName: String?
    public var configVersion: String?
    /// Any other `key: value` lines.
    public var other: [String: String] = [:]
    /// Bytes up to and including `end header\n`: the samples start there.
    public var length: Int

    static let identities = ["NIDAS (ncar.ucar.edu)", "NCAR ADS3"]
    static let endLine = Array("end header\n".utf8)

    /// One line for notes and `inspect`.
    public var summary: String {
        var parts = ["NIDAS archive version \(archiveVersion ?? "?")"]
        if let projectName { parts.append("project \(projectName)") }
        if let systemName { parts.append("system \(systemName)") }
        if let configName { parts.append("config \(configName)") }
        if let configVersion { parts.append("config version \(configVersion)") }
        if let softwareVersion { parts.append("software \(softwareVersion)") }
        return parts.joined(separator: ", ")
    }

    enum Parsed {
        case success(NIDASHeader)
        case failure(String)
    }

    /// Parses a complete header (ending in `end header\n`), or says why it is none.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parsed {
        guard let identity = identities.first(where: { bytes.starts(with: Array($0.utf8)) }) else {
            return .failure("not a NIDAS archive: it starts with \(FileKind.describe(Array(bytes.prefix(64)))), not 'NIDAS (ncar.ucar.edu)' or 'NCAR ADS3'")
        }
        var header = NIDASHeader(identity: identity, length: 0)
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        var first = true
        while index < bytes.endIndex {
            guard bytes[index] == 0x0a else { index += 1; continue }
            let line = String(decoding: bytes[lineStart..<index], as: UTF8.self).trimmingBlanks
            index += 1
            lineStart = index
            if first { first = false; continue }
            if line == "end header" {
                header.length = index - bytes.startIndex
                return .success(header)
            }
            if line.isEmpty { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingBlanks.lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingBlanks
            switch key {
            case "archive version": header.archiveVersion = value
            case "software version": header.softwareVersion = value
            case "project name": header.projectName = value
            case "system name": header.systemName = value
            case "config name": header.configName = value
            case "config version": header.configVersion = value
            default: header.other[key] = value
            }
        }
        return .failure("no 'end header' line")
    }
}

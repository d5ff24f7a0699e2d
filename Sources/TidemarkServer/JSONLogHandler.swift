import Foundation
import Logging

/// Log lines for machines (`serve --json`): one JSON object per line on stderr, with the
/// time, level, message and metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var fields: [String: String] = ["time": ISO8601DateFormatter().string(from: Date()), "level": level.rawValue, "message": message.description,
                                        "logger": label]
        for (k, v) in self.metadata.merging(explicit ?? [:], uniquingKeysWith: { $1 }) { fields[k] = v.description }
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0a)
        FileHandle.standardError.write(data)
    }
}

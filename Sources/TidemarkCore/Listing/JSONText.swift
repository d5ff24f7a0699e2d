import Foundation

/// The one JSON encoding of the CLI's `--json` and the server's responses: sorted keys,
/// slashes unescaped (pretty for people at a terminal).
public enum JSONText {
    /// `value` as JSON bytes.
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }
}

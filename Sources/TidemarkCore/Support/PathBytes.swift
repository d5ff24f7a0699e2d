/// Paths are kept as bytes: file names need not be UTF-8.
public typealias PathBytes = [UInt8]

extension Array where Element == UInt8 {
    /// True when `path` is `dir` or lies below it (both relative, or both absolute).
    public static func isSameOrBelow(_ path: PathBytes, _ dir: PathBytes) -> Bool {
        if dir.isEmpty { return true }
        guard path.count >= dir.count, path.starts(with: dir) else { return false }
        return path.count == dir.count || path[dir.count] == UInt8(ascii: "/")
    }

    /// The path as text for people: invalid UTF-8 bytes are shown as `\xNN`, and control
    /// characters (a newline in a name) as escapes, so one path stays on one line.
    public var displayPath: String {
        if let s = String(validating: self, as: UTF8.self), !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return s
        }
        var out = ""
        var i = 0
        while i < count {
            let b = self[i]
            if b < 0x80 {
                switch b {
                case 0x0a: out += "\\n"
                case 0x09: out += "\\t"
                case 0x0d: out += "\\r"
                case 0x5c: out += "\\\\"
                case 0..<0x20, 0x7f: out += "\\x" + Self.hex(b)
                default: out.unicodeScalars.append(UnicodeScalar(b))
                }
                i += 1
                continue
            }
            // Decode one multi-byte scalar if it is valid; otherwise escape the byte.
            let len = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
            if len > 1, i + len <= count, let s = String(validating: Array(self[i..<(i + len)]), as: UTF8.self) {
                out += s
                i += len
            } else {
                out += "\\x" + Self.hex(b)
                i += 1
            }
        }
        return out
    }

    /// True when the bytes are valid UTF-8 with no control characters, so `displayPath` is exact.
    public var isPlainText: Bool {
        guard let s = String(validating: self, as: UTF8.self) else { return false }
        return !s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }
    }

    /// The bytes as hex (`path_bytes` in JSON): exact where `displayPath` is not.
    public var hexBytes: String { map(Self.hex).joined() }

    /// The bytes `hexBytes` gave, or nil for text that is not pairs of hex digits.
    public init?(hexBytes text: String) {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let b = UInt8(String(decoding: u[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        self = out
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = [Character]("0123456789abcdef")
        return String(digits[Int(b >> 4)]) + String(digits[Int(b & 15)])
    }

    /// Joins path pieces with a single `/`.
    public func appendingComponent(_ name: PathBytes) -> PathBytes {
        if isEmpty { return name }
        var out = self
        if last != UInt8(ascii: "/") { out.append(UInt8(ascii: "/")) }
        out += name
        return out
    }
}

extension String {
    public var pathBytes: PathBytes { Array(utf8) }
}

import Foundation

/// `[CatalogEntry]` written straight to bytes, byte for byte what `JSONText.encode` makes of
/// it (sorted keys, slashes unescaped): the server's `/api/covers` and `/api/find` answer
/// thousands of times a second, and `JSONEncoder` was most of their cost.
public enum CatalogEntryJSON {
    /// The entries as one compact JSON array.
    public static func encode(_ entries: [CatalogEntry]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + entries.count * 400)
        out.append(UInt8(ascii: "["))
        for (i, e) in entries.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(e, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// One entry as the object `CatalogEntry.encode(to:)` makes, its keys in sorted order.
    static func write(_ e: CatalogEntry, to out: inout [UInt8]) {
        key("{\"category\":", &out); string(e.category, &out)
        key(",\"context\":", &out); string(e.context, &out)
        key(",\"dataset\":", &out); string(e.dataset, &out)
        key(",\"end\":", &out); time(e.coverage?.end, &out)
        key(",\"error\":", &out); string(e.error, &out)
        key(",\"gone_at\":", &out); time(e.goneAt, &out)
        key(",\"gone_by\":", &out); string(e.goneBy, &out)
        key(",\"notes\":", &out); string(e.notes, &out)
        key(",\"path\":", &out)
        if path(e.path, &out) {
            key(",\"path_bytes\":", &out); string(e.path.hexBytes, &out)
        }
        key(",\"size\":", &out); out.append(contentsOf: String(e.size).utf8)
        key(",\"source\":", &out); string(e.source.rawValue, &out)
        key(",\"start\":", &out); time(e.coverage?.start, &out)
        key(",\"state\":", &out); string(e.state.name, &out)
        key(",\"stream\":", &out); string(e.stream, &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func key(_ s: StaticString, _ out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// The path as `displayPath`; true when it is not plain text (then `path_bytes` follows).
    private static func path(_ p: PathBytes, _ out: inout [UInt8]) -> Bool {
        // Plain text (the common case): the bytes are the display path.
        if !p.contains(where: { $0 < 0x20 || $0 >= 0x7f }) {
            quoted(p, &out)
            return false
        }
        string(p.displayPath, &out)
        return !p.isPlainText
    }

    private static func string(_ s: String?, _ out: inout [UInt8]) {
        guard var s else { key("null", &out); return }
        s.withUTF8 { quoted($0, &out) }
    }

    /// UTF-8 bytes as a JSON string. `"` and `\` are escaped here; a string holding a control
    /// character is left to `JSONEncoder` itself, so that its escapes stay exactly its own.
    private static func quoted<C: Collection>(_ bytes: C, _ out: inout [UInt8]) where C.Element == UInt8 {
        out.append(UInt8(ascii: "\""))
        // Most text has nothing to escape: one pass to tell, and one copy.
        guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return
        }
        if bytes.contains(where: { $0 < 0x20 }), let data = try? JSONText.encode(String(decoding: bytes, as: UTF8.self)) {
            out.removeLast()
            out.append(contentsOf: data)
            return
        }
        for b in bytes {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `Instant.iso8601` in quotes, or null.
    private static func time(_ t: Instant?, _ out: inout [UInt8]) {
        guard let t else { key("null", &out); return }
        let c = t.civil
        guard (0...9999).contains(c.year) else { string(t.iso8601, &out); return }
        out.append(UInt8(ascii: "\""))
        two(c.year / 100, &out); two(c.year % 100, &out); out.append(UInt8(ascii: "-")); two(c.month, &out); out.append(UInt8(ascii: "-"))
        two(c.day, &out); out.append(UInt8(ascii: "T")); two(c.hour, &out); out.append(UInt8(ascii: ":"))
        two(c.minute, &out); out.append(UInt8(ascii: ":")); two(c.second, &out)
        if c.microsecond != 0 {
            var micro = c.microsecond, width = 6
            while micro % 10 == 0 { micro /= 10; width -= 1 }
            out.append(UInt8(ascii: "."))
            digits(micro, width, &out)
        }
        out.append(UInt8(ascii: "Z")); out.append(UInt8(ascii: "\""))
    }

    /// `v` (0–99) in two digits.
    @inline(__always) private static func two(_ v: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v / 10))
        out.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v % 10))
    }

    /// `v` (not negative) in exactly `width` digits, zero-padded.
    private static func digits(_ v: Int, _ width: Int, _ out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var v = v
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(v / divisor))
            v %= divisor
            divisor /= 10
        }
    }
}

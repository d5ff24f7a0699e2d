/// The line on which each key of a TOML text is set, found by reading the text once.
///
/// TOMLKit gives no positions for values, so errors would have no line for keys set in
/// inline tables (`rule = [{ match = … }]`), through dotted keys (`time.first = …`) or under
/// dotted headers (`[rule.extra]`). This reads the text as TOML does — headers, arrays of
/// tables, dotted and quoted keys, inline tables and arrays, strings of every kind,
/// comments — and notes where each key path (and each table) first appears. The same
/// reading finds the text on which TOMLKit's parser aborts (see `abort`).
struct TOMLKeyLines {
    /// One step of a key path: a key, or the index of an array element (`[[rule]]` #n).
    enum Step: Hashable { case key(String), index(Int) }

    private var lines: [[Step]: Int] = [:]
    /// Text on which TOMLKit's parser (toml++ 3) aborts, refused before it sees it: a header
    /// with no name first (`[,[rule]]`, `[[[rule]]`, `[ .a]`, a lone `[`) reaches `parse_key`
    /// against its precondition, and an array element starting with `}` trips another
    /// assertion — a crash in debug builds, undefined behaviour in release ones (found by
    /// hand and by Tests/tidemarkTests/InputFuzzTests.swift). The first such line, and what
    /// to write instead.
    private(set) var abort: (line: Int, message: String)?

    init(_ text: String) {
        var reader = Reader(bytes: Array(text.utf8))
        reader.document()
        lines = reader.lines
        abort = reader.abort
    }

    /// The 1-based line where the key path (or the table) is first set.
    func line(of path: [Step]) -> Int? { lines[path] }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var lines: [[Step]: Int] = [:]
        /// Arrays of tables seen so far, with their element counts.
        var arrays: [[Step]: Int] = [:]
        var abort: (line: Int, message: String)?

        mutating func refuse(_ at: Int, _ message: String) {
            if abort == nil { abort = (at, message) }
        }

        init(bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func advance() {
            if bytes[i] == UInt8(ascii: "\n") { line += 1 }
            i += 1
        }

        mutating func note(_ path: [Step], _ at: Int) {
            if lines[path] == nil { lines[path] = at }
        }

        mutating func skipBlanks() {
            while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") { advance() }
        }

        /// Blanks, newlines and comments (inside arrays and between statements).
        mutating func skipSpace() {
            while let c = peek {
                if c == UInt8(ascii: "#") {
                    while let d = peek, d != UInt8(ascii: "\n") { _ = d; advance() }
                } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") || c == UInt8(ascii: "\n") {
                    advance()
                } else {
                    return
                }
            }
        }

        mutating func skipLine() {
            while let c = peek, c != UInt8(ascii: "\n") { _ = c; advance() }
        }

        mutating func document() {
            var table: [Step] = []
            while true {
                skipSpace()
                guard let c = peek else { return }
                if c == UInt8(ascii: "[") {
                    table = header()
                } else {
                    keyValue(in: table)
                }
                skipLine()  // whatever is left (a comment, or text TOMLKit already refused)
            }
        }

        /// `[a.b]` or `[[a.b]]`: the table it opens, with array indices resolved.
        mutating func header() -> [Step] {
            let at = line
            advance()
            let isArray = peek == UInt8(ascii: "[")
            if isArray { advance() }
            // Only spaces and tabs, as toml++ skips them here: `[` then `\r` aborts it too.
            while let c = peek, c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") { advance() }
            if !(peek.map { Self.isBare($0) || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") } ?? false) {
                refuse(at, "a table header starts with the table's name: write [name] or [[name]]; found \(found)")
            }
            let keys = keyParts()
            var path: [Step] = []
            for (n, k) in keys.enumerated() {
                path.append(.key(k))
                if isArray && n == keys.count - 1 {
                    let count = arrays[path, default: 0]
                    arrays[path] = count + 1
                    note(path, at)
                    path.append(.index(count))
                } else if let count = arrays[path] {
                    path.append(.index(count - 1))
                }
                note(path, at)
            }
            return path
        }

        /// Dotted keys, bare or quoted: `a."b c".d`.
        mutating func keyParts() -> [String] {
            var parts: [String] = []
            while true {
                skipBlanks()
                guard let c = peek else { return parts }
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                    parts.append(quoted())
                } else {
                    var bare: [UInt8] = []
                    while let d = peek, Self.isBare(d) { bare.append(d); advance() }
                    guard !bare.isEmpty else { return parts }
                    parts.append(String(decoding: bare, as: UTF8.self))
                }
                skipBlanks()
                guard peek == UInt8(ascii: ".") else { return parts }
                advance()
            }
        }

        /// The character at `i`, as a message shows it.
        var found: String {
            guard i < bytes.count else { return "the end of the file" }
            if bytes[i] == UInt8(ascii: "\n") { return "the end of the line" }
            let c = String(decoding: bytes[i..<min(bytes.count, i + 4)], as: UTF8.self).unicodeScalars.first!
            return "'\(c.escaped(asASCII: true))'"
        }

        /// What toml++ takes as a bare key character: A–Z, a–z, 0–9, `_` and `-`.
        static func isBare(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
                || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }

        /// `key = value` inside `table`: notes every prefix of the dotted key.
        mutating func keyValue(in table: [Step]) {
            let at = line
            let keys = keyParts()
            guard !keys.isEmpty else { return }
            var path = table
            for k in keys {
                path.append(.key(k))
                note(path, at)
            }
            skipBlanks()
            guard peek == UInt8(ascii: "=") else { return }
            advance()
            skipBlanks()
            value(at: path)
        }

        mutating func value(at path: [Step]) {
            guard let c = peek else { return }
            switch c {
            case UInt8(ascii: "{"):
                note(path, line)
                advance()
                while true {
                    skipSpace()
                    guard let d = peek else { return }
                    // A stray `]` ends it too, so that a header on the next line is still read as one.
                    if d == UInt8(ascii: "}") || d == UInt8(ascii: "]") { advance(); return }
                    if d == UInt8(ascii: ",") { advance(); continue }
                    let before = i
                    keyValue(in: path)
                    if i == before { advance() }  // not a key: step over it
                }
            case UInt8(ascii: "["):
                note(path, line)
                advance()
                var index = 0
                while true {
                    skipSpace()
                    guard let d = peek else { return }
                    if d == UInt8(ascii: "]") { advance(); return }
                    if d == UInt8(ascii: ",") { advance(); continue }
                    if d == UInt8(ascii: "}") { refuse(line, "'}' where an array value or its closing ']' belongs") }
                    let element = path + [.index(index)]
                    note(element, line)
                    let before = i
                    value(at: element)
                    if i == before { advance() }
                    index += 1
                }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                _ = quoted()
            default:
                // A number, date or boolean: up to what ends a value.
                while let d = peek, !",]}#\n".utf8.contains(d) { _ = d; advance() }
            }
        }

        /// A basic or literal string, single- or multi-line; returns its text (escapes kept
        /// as written, which is enough to name a key).
        mutating func quoted() -> String {
            let q = bytes[i]
            let triple = i + 2 < bytes.count && bytes[i + 1] == q && bytes[i + 2] == q
            for _ in 0..<(triple ? 3 : 1) { advance() }
            var out: [UInt8] = []
            while let c = peek {
                if triple, c == q, i + 2 < bytes.count, bytes[i + 1] == q, bytes[i + 2] == q {
                    for _ in 0..<3 { advance() }
                    // A closing run may hold one or two more quotes that belong to the text.
                    while peek == q { advance() }
                    break
                }
                if !triple && c == q { advance(); break }
                if !triple && c == UInt8(ascii: "\n") { break }  // unterminated: TOMLKit said so
                if q == UInt8(ascii: "\"") && c == UInt8(ascii: "\\") && i + 1 < bytes.count {
                    out.append(c)
                    advance()
                }
                out.append(bytes[i])
                advance()
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

import Foundation

/// The libpq password file: lines of `host:port:database:user:password`, `*` matching
/// anything in the first four fields, `\:` and `\\` escaping, `#` starting a comment line.
/// A file that its group or others may read is ignored, as libpq ignores it.
public enum PGPass {
    /// The password of the first line that matches, or nil (no file, unsafe mode, no match).
    public static func password(file: String, host: String, port: Int, database: String, user: String) -> String? {
        var st = stat()
        guard stat(file, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o077 == 0,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return password(in: text, host: host, port: port, database: database, user: user)
    }

    /// The password of the first line of `text` that matches.
    public static func password(in text: String, host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = split(line)
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0.0 == "*" || $0.0 == $0.1 }) { return fields[4] }
        }
        return nil
    }

    /// Fields split on unescaped `:`, with `\` escapes removed.
    private static func split(_ line: Substring) -> [String] {
        var fields: [String] = [], current = "", escaped = false
        for ch in line {
            if escaped { current.append(ch); escaped = false } else if ch == "\\" { escaped = true } else if ch == ":" {
                fields.append(current); current = ""
            } else { current.append(ch) }
        }
        fields.append(current)
        return fields
    }
}

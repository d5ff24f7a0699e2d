import TOMLKit

/// A parsed TOML file that reports every problem with its file, line and key path.
///
/// TOMLKit gives positions only for syntax errors, so keys are located in the text.
struct TOMLDocument {
    let file: String
    let text: String
    let root: TOMLTable
    let keyLines: TOMLKeyLines

    init(file: String, text: String) throws(DefinitionError) {
        self.file = file
        self.text = text
        self.keyLines = TOMLKeyLines(text)
        if let (line, message) = keyLines.abort {
            throw DefinitionError(file: file, line: line, message: "TOML syntax error: \(message)")
        }
        do {
            self.root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw DefinitionError(file: file, line: Int(e.source.begin.line), message: "TOML syntax error: \(e.description)")
        } catch {
            throw DefinitionError(file: file, message: "TOML syntax error: \(error)")
        }
    }

    /// A view of one table: typed getters and a check for unknown keys.
    struct Table {
        let doc: TOMLDocument
        let table: TOMLTable
        /// `nil` for the top level; otherwise the array-of-tables name and index (0-based).
        let section: (name: String, index: Int)?

        var path: String { section.map { "[[\($0.name)]] #\($0.index + 1)" } ?? "top level" }

        /// Where the table is in the text: no steps for the top level.
        var steps: [TOMLKeyLines.Step] { section.map { [.key($0.name), .index($0.index)] } ?? [] }

        /// An error at `key` (its line), or at the table itself (its header) when `key` is nil.
        func error(_ key: String?, _ message: String) -> DefinitionError {
            let line = key.flatMap { doc.keyLines.line(of: steps + [.key($0)]) } ?? doc.keyLines.line(of: steps)
            return DefinitionError(file: doc.file, line: line, key: key.map { section == nil ? $0 : "\(section!.name)[\(section!.index + 1)].\($0)" }, message: message)
        }

        /// An error at element `index` of the array at `key` (its own line when known).
        func elementError(_ key: String, _ index: Int, _ message: String) -> DefinitionError {
            var e = error(key, message)
            e.line = doc.keyLines.line(of: steps + [.key(key), .index(index)]) ?? e.line
            return e
        }

        func rejectUnknownKeys(allowed: [String]) throws(DefinitionError) {
            for key in table.keys where !allowed.contains(key) {
                let hint = allowed.min(by: { editDistance($0, key) < editDistance($1, key) }).flatMap { editDistance($0, key) <= 2 ? " (did you mean '\($0)'?)" : nil } ?? ""
                throw error(key, "unknown key in \(path)\(hint); known keys: \(allowed.joined(separator: ", "))")
            }
        }

        func has(_ key: String) -> Bool { table[key] != nil }

        func string(_ key: String) throws(DefinitionError) -> String? {
            guard let v = table[key] else { return nil }
            guard let s = v.string else { throw error(key, "expected a string, found \(v.type)") }
            return s
        }

        func requiredString(_ key: String) throws(DefinitionError) -> String {
            guard let s = try string(key) else {
                // Missing: named with the line of its table (line 1 for the top level).
                var e = error(key, "\(path) needs the key '\(key)'")
                e.line = e.line ?? 1
                throw e
            }
            guard !s.isEmpty else { throw error(key, "must not be empty") }
            return s
        }

        func bool(_ key: String) throws(DefinitionError) -> Bool? {
            guard let v = table[key] else { return nil }
            guard let b = v.bool else { throw error(key, "expected true or false, found \(v.type)") }
            return b
        }

        func int(_ key: String) throws(DefinitionError) -> Int? {
            guard let v = table[key] else { return nil }
            guard let i = v.int else { throw error(key, "expected an integer, found \(v.type)") }
            return i
        }

        func double(_ key: String) throws(DefinitionError) -> Double? {
            guard let v = table[key] else { return nil }
            if let d = v.double { return d }
            if let i = v.int { return Double(i) }
            throw error(key, "expected a number, found \(v.type)")
        }

        /// A string, or an array of strings (`match = "a"` or `match = ["a", "b"]`).
        func strings(_ key: String) throws(DefinitionError) -> [String]? {
            guard let v = table[key] else { return nil }
            if let s = v.string { return [s] }
            guard let a = v.array else { throw error(key, "expected a string or an array of strings, found \(v.type)") }
            var out: [String] = []
            for item in a {
                guard let s = item.string else { throw error(key, "expected strings in the array, found \(item.type)") }
                out.append(s)
            }
            return out
        }

        /// A duration: an integer of seconds or a string such as "4h", "5m", "1d".
        func duration(_ key: String) throws(DefinitionError) -> Int64? {
            guard let v = table[key] else { return nil }
            if let i = v.int {
                guard i > 0 else { throw error(key, "must be positive") }
                guard let us = Duration.microseconds(seconds: i) else { throw error(key, Duration.Invalid(text: String(i), tooLong: true).description) }
                return us
            }
            guard let s = v.string else { throw error(key, "expected seconds or a duration such as \"4h\", found \(v.type)") }
            let us: Int64
            do { us = try Duration.parse(s) } catch { throw self.error(key, error.description) }
            guard us > 0 else { throw error(key, "must be positive") }
            return us
        }

        /// The tables of an array of tables (`[[rule]]`).
        func tables(_ key: String) throws(DefinitionError) -> [Table] {
            guard let v = table[key] else { return [] }
            if v.table != nil { throw error(key, "write [[\(key)]] (each one a table in an array), not [\(key)]") }
            guard let a = v.array else { throw error(key, "expected [[\(key)]] tables, found \(v.type)") }
            var out: [Table] = []
            for (i, item) in a.enumerated() {
                guard let t = item.table else { throw error(key, "expected [[\(key)]] tables, found \(item.type)") }
                out.append(Table(doc: doc, table: t, section: (key, i)))
            }
            return out
        }
    }

    var top: Table { Table(doc: self, table: root, section: nil) }
}

/// Levenshtein distance, for "did you mean" hints on misspelt keys.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var prev = row[0]
        row[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            let cur = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
            prev = cur
        }
    }
    return row[b.count]
}

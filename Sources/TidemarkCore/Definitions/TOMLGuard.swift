/// Screens TOML text for what crashes the parser TOMLKit bundles (toml++ 3) before it sees
/// it. A table header whose name does not begin with a key character (`[,[rule]]`, `[/x]`,
/// `[` and the end of the line) reaches `parse_key` against its precondition: an assertion
/// that aborts the process in debug builds, undefined behaviour in release builds. Found by
/// the input fuzzer (Tests/tidemarkTests/InputFuzzTests.swift).
enum TOMLGuard {
    /// The first such header: its 1-based line and the character after its bracket(s).
    static func danger(in text: String) -> (line: Int, found: Unicode.Scalar?)? {
        let s = Array(text.unicodeScalars)
        var i = 0, line = 1
        var depth = 0                 // open arrays and inline tables of a value
        var atLineStart = true        // only blanks since the line began
        var inHeader = false          // on a `[table]` line: its brackets open no value

        /// Skips a string starting at `i` (its opening quote); `i` ends after its close.
        func skipString() {
            let quote = s[i]
            let multi = i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote
            i += multi ? 3 : 1
            while i < s.count {
                if s[i] == "\\" && quote == "\"" { i += 2; continue }
                if s[i] == "\n" {
                    if !multi { return }  // unterminated: the parser reports it
                    line += 1
                }
                if s[i] == quote {
                    if !multi { i += 1; return }
                    if i + 2 < s.count && s[i + 1] == quote && s[i + 2] == quote { i += 3; return }
                }
                i += 1
            }
        }

        while i < s.count {
            let c = s[i]
            switch c {
            case "\n":
                line += 1
                atLineStart = true
                inHeader = false
                i += 1
            case " ", "\t", "\r":
                i += 1
            case "#":
                while i < s.count && s[i] != "\n" { i += 1 }
            case "\"", "'":
                atLineStart = false
                skipString()
            case "[" where atLineStart && depth == 0:
                atLineStart = false
                inHeader = true
                i += 1
                if i < s.count && s[i] == "[" { i += 1 }
                while i < s.count && (s[i] == " " || s[i] == "\t") { i += 1 }
                guard i < s.count else { return nil }
                if !(isBareKeyCharacter(s[i]) || s[i] == "\"" || s[i] == "'" || s[i] == "]") { return (line, s[i]) }
            case "[", "{":
                atLineStart = false
                if !inHeader { depth += 1 }
                i += 1
            case "]", "}":
                atLineStart = false
                if !inHeader { depth = max(0, depth - 1) }
                i += 1
            default:
                atLineStart = false
                i += 1
            }
        }
        return nil
    }

    /// What toml++ takes as a bare key character: A–Z, a–z, 0–9, `_` and `-`.
    static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }
}

import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

@Suite struct ContextDefinitionTests {
    func error(_ text: String) -> DefinitionError? {
        do { _ = try ContextDefinition(file: "bad.toml", text: text, defaultName: "x"); return nil } catch { return error }
    }

    @Test func misspeltKeyNamesFileLineAndKey() throws {
        let e = try #require(error("""
            roots = ["/data"]

            [[rule]]
            match = "a/*%Y%m%d.nc"
            category = "a"

            [[rule]]
            match = "b/*%Y%m%d.nc"
            categroy = "b"
            """))
        #expect(e.file == "bad.toml")
        #expect(e.line == 9)
        #expect(e.key == "rule[2].categroy")
        #expect(e.description.contains("did you mean 'category'"))
    }

    @Test func syntaxErrorsGiveTheLine() throws {
        let e = try #require(error("roots = [\"/data\"\n[[rule]]\nmatch = \n"))
        #expect(e.line != nil)
        #expect(e.description.contains("TOML syntax error"))
    }

    @Test(arguments: [
        ("[[rule]]\nmatch = 3\ncategory = \"a\"", "rule[1].match", "expected a string"),
        ("[[rule]]\ncategory = \"a\"", nil, "needs 'match'"),
        ("[[rule]]\nmatch = \"a/*\"\ncategory = \"a\"\ntime = [\"name\"]", "rule[1].time", "no time fields"),
        ("[[rule]]\nmatch = \"a/%Y\"\ncategory = \"a\"\ntime = [\"sundial\"]", "rule[1].time", "unknown time source"),
        ("[[rule]]\nmatch = \"a/%Y\"\ncategory = \"a\"\nlength = \"4 fortnights\"", "rule[1].length", "not a duration"),
        ("[[rule]]\nmatch = \"a/{x}\"\ncategory = \"a\"\nstream = \"{y}\"", "rule[1].stream", "{y}"),
        ("[[rule]]\nmatch = \"a/%Q\"\ncategory = \"a\"", "rule[1].match", "unknown time field"),
        ("roots = [\"relative/path\"]", "roots", "absolute"),
    ])
    func badDefinitionsAreRefused(text: String, key: String?, message: String) throws {
        let e = try #require(error(text))
        #expect(e.key == key)
        #expect(e.description.contains(message), "\(e)")
    }

    /// Keys set in inline tables, through dotted keys or under dotted table headers are
    /// located as exactly as keys under `[[rule]]`.
    @Test(arguments: [
        ("roots = [\"/data\"]\nrule = [\n  { match = \"a/*%Y%m%d.nc\", category = \"a\" },\n  { match = \"b/*%Y%m%d.nc\", catgory = \"b\" },\n]",
         4, "rule[2].catgory", "unknown key"),
        ("roots = [\"/data\"]\nrule = [{ match = \"a/*\", category = \"a\", time = { from = \"name\" } }]",
         2, "rule[1].time", "expected a string or an array"),
        ("roots = [\"/data\"]\n\n[[rule]]\nmatch = \"a/*%Y%m%d.nc\"\ncategory = \"a\"\ntime.first = \"name\"",
         6, "rule[1].time", "expected a string or an array"),
        ("roots.main = \"/data\"", 1, "roots", "expected a string or an array"),
        ("roots = [\"/data\"]\n[[rule]]\nmatch = \"a/*\"\ncategory = \"a\"\n\n[rule.extra]\nx = 1", 6, "rule[1].extra", "unknown key"),
        ("roots = [\"/data\"]\n# a comment [[rule]]\ndescription = \"\"\"\n[[rule]]\n\"\"\"\n[[rule]]\nmatch = \"a/*\"\ncategroy = \"a\"",
         8, "rule[1].categroy", "unknown key"),
    ] as [(String, Int, String, String)])
    func keysInInlineAndDottedTablesHaveTheirLine(text: String, line: Int, key: String, words: String) throws {
        let e = try #require(error(text))
        #expect(e.line == line, "\(e)")
        #expect(e.key == key, "\(e)")
        #expect(e.message.contains(words), "\(e)")
    }

    /// TOMLKit's parser aborts (an assertion in toml++) on a header that does not start with
    /// a name and on an array element that starts with `}`; such text is refused first, with
    /// its line.
    @Test(arguments: [("[[[rule]]", "[[name]]"), ("[[ [rule]]", "[[name]]"), ("[ .a]", "[[name]]"), ("[", "[[name]]"), ("[[", "[[name]]"),
                      ("[#]", "[[name]]"), ("[=]", "[[name]]"), ("[é]", "[[name]]"), ("ignore = [\"a/*\", }\"b/*\"]", "'}'"),
                      ("ignore = [}]", "'}'"), ("ignore = [\"a\",\n}]", "'}'")])
    func textTOMLKitAbortsOnIsASyntaxErrorNotACrash(text: String, words: String) throws {
        let e = try #require(error("roots = [\"/data\"]\ndescription = \"\"\"\n[[[not a header]]] [}]\n\"\"\"\n\(text)\nmatch = \"a/*\""))
        #expect(e.line == 5 + text.filter { $0 == "\n" }.count, "\(e)")
        #expect(e.message.contains("TOML syntax error") && e.message.contains(words), "\(e)")
    }

    /// The key locator reads whatever text it is given (it runs before TOMLKit refuses a
    /// bad one): cut and spliced definitions end in an answer, never a trap or a hang.
    @Test func theKeyLocatorReadsAnyText() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = Array(try String(contentsOfFile: root.path + "/catalogs/perdigao/ustar.toml", encoding: .utf8).utf8)
        var random = SplitMix(seed: 8)
        let pieces = Array(#"[]{}"'.,=#\ a"""'''"#.utf8) + [0x0a]
        for _ in 0..<500 {
            var t = text
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let at = Int.random(in: 0..<t.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: t.removeSubrange(at..<min(t.count, at + Int.random(in: 1...40, using: &random)))
                case 1: t.insert(pieces.randomElement(using: &random)!, at: at)
                default: t = Array(t[..<at])
                }
                if t.isEmpty { t = [UInt8(ascii: "[")] }
            }
            _ = TOMLKeyLines(String(decoding: t, as: UTF8.self)).line(of: [.key("rule"), .index(0)])
            _ = error(String(decoding: t, as: UTF8.self))
        }
    }

    @Test func aTableWrittenForAnArrayOfTablesSaysSoWithItsLine() throws {
        let e = try #require(error("roots = [\"/data\"]\n\n[rule]\nmatch = \"a/*\"\ncategory = \"a\""))
        #expect(e.line == 3 && e.key == "rule", "\(e)")
        #expect(e.message.contains("[[rule]]"), "\(e)")
    }

    @Test(arguments: ["../data/*.dat", "raw/../../etc/*", "raw/..", "./raw/*.dat", "/data/raw/*.dat"])
    func patternsThatLeaveTheRootAreRefused(pattern: String) throws {
        let e = try #require(error("roots = [\"/data\"]\n[[rule]]\ncategory = \"a\"\nmatch = \"\(pattern)\""))
        #expect(e.line == 4 && e.key == "rule[1].match", "\(e)")
        #expect(e.message.contains(pattern), "\(e)")
        let ignored = try #require(error("roots = [\"/data\"]\nignore = [\"\(pattern)\"]"))
        #expect(ignored.line == 2 && ignored.key == "ignore", "\(ignored)")
    }

    @Test func shippedDefinitionsParse() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let library = DefinitionLibrary(directories: [root.path + "/catalogs"])
        let names = library.contextNames()
        #expect(names.contains("perdigao/ustar") && names.contains("ipp/ps1"))
        for n in names {
            let d = try #require(try library.definition(for: n))
            #expect(d.name == n)
            #expect(!d.rules.isEmpty)
        }
    }

    @Test func fingerprintFollowsTheText() throws {
        let a = try ContextDefinition(file: "a", text: "roots = [\"/a\"]", defaultName: "x")
        let b = try ContextDefinition(file: "a", text: "roots = [\"/b\"]", defaultName: "x")
        #expect(a.fingerprint != b.fingerprint)
    }
}

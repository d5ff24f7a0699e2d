import Foundation
import Testing
@testable import TidemarkCore

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

import Testing
@testable import TidemarkCore

/// Table headers that made the TOML parser abort (found by the input fuzzer) are refused
/// with their line; valid TOML that looks like them is not.
@Suite struct TOMLGuardTests {
    @Test(arguments: [
        ("context = \"c\"\n[,[rule]]\nkind = \"age-off\"", 2),
        ("context = \"c\"\n[/[rule]]\n", 2),
        ("# comment\n\n  [[ ,rule]]", 3),
        ("a = 1\n[", 2),
        ("a = 1\n[[\n", 2),
        ("a = \"\"\"\n[x]\n\"\"\"\n[.b]", 4),
    ])
    func headersThatCrashedTheParserAreRefused(_ text: String, _ line: Int) {
        do {
            _ = try Policy(file: "p.toml", text: text, defaultName: "p", now: Instant(seconds: 0))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line && error.message.contains("TOML syntax error"), "\(error)")
        }
    }

    @Test(arguments: [
        "[[rule]]\n[ rule2 ]\n[\"quoted\"]\n['literal']\n[a.b]",
        "x = [\n  [1, 2],\n  [ [3] ],\n  [\n    4\n  ],\n]\n[t]",
        "s = \"\"\"\n[,not a header]\n\"\"\"\nl = '''\n[\n'''\n[t]",
        "t = { a = [ [1] ] }\n# [,comment]\n[t2]",
    ])
    func validTOMLPasses(_ text: String) {
        #expect(TOMLGuard.danger(in: text) == nil)
    }
}

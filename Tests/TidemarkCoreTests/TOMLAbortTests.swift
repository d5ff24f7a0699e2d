import Testing
@testable import TidemarkCore

/// Table headers that made the TOML parser abort (found by the input fuzzer) are refused
/// by `TOMLKeyLines` with their line and what was found; valid TOML that looks like them is not.
@Suite struct TOMLAbortTests {
    @Test(arguments: [
        ("context = \"c\"\n[,[rule]]\nkind = \"age-off\"", 2, "found ','"),
        ("context = \"c\"\n[/[rule]]\n", 2, "found '/'"),
        ("# comment\n\n  [[ ,rule]]", 3, "found ','"),
        ("a = 1\n[", 2, "found the end of the file"),
        ("a = 1\n[[\n", 2, "found the end of the line"),
        ("a = \"\"\"\n[x]\n\"\"\"\n[.b]", 4, "found '.'"),
        ("a = { ]\n[,b]", 2, "found ','"),
        ("a = { b = 1 ]\n[/b]", 2, "found '/'"),
        ("a = 1\n[\u{7}]", 2, "found '\\u{07}'"),
        ("a = 1\r\n[\r\"x\"]\r\n", 2, "found '\\r'"),
        ("[[ \r\nb]]", 1, "found '\\r'"),
    ] as [(String, Int, String)])
    func headersThatCrashedTheParserAreRefused(_ text: String, _ line: Int, _ found: String) {
        do {
            _ = try Policy(file: "p.toml", text: text, defaultName: "p", now: Instant(seconds: 0))
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line && error.message.contains("TOML syntax error"), "\(error)")
            #expect(error.message.contains(found), "\(error)")
        }
    }

    @Test(arguments: [
        "[[rule]]\n[ rule2 ]\n[\"quoted\"]\n['literal']\n[a.b]",
        "x = [\n  [1, 2],\n  [ [3] ],\n  [\n    4\n  ],\n]\n[t]",
        "s = \"\"\"\n[,not a header]\n\"\"\"\nl = '''\n[\n'''\n[t]",
        "t = { a = [ [1] ] }\n# [,comment]\n[t2]",
    ])
    func validTOMLPasses(_ text: String) {
        #expect(TOMLKeyLines(text).abort == nil)
    }
}

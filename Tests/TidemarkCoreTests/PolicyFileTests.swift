import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// Malformed policies are rejected before anything happens, with file, line and key.
@Suite struct PolicyFileTests {
    let now = Instant(year: 2017, month: 6, day: 1)!

    func parse(_ text: String) throws(DefinitionError) -> Policy {
        try Policy(file: "policies/p.toml", text: text, defaultName: "p", now: now)
    }

    @Test func aGoodPolicyParses() throws {
        let p = try parse("""
            policy = "nightly"
            context = "perdigao/ustar"
            [[rule]]
            kind = "age-off"
            name = "raw when full"
            categories = ["raw/nidas", "merge"]
            when_above = "90%"
            until_below = 80
            keep_newest = 2
            [[rule]]
            kind = "age-off"
            categories = "netcdf/5min"
            time = "20000101,20170501"
            free = "1.5T"
            [[rule]]
            kind = "cleanup"
            categories = ["raw/dsm"]
            covered_by = ["merge"]
            same_stream = false
            older_than = "2d"
            """)
        #expect(p.name == "nightly" && p.context == "perdigao/ustar" && p.rules.count == 3)
        guard case .ageOff(let a) = p.rules[0], case .ageOff(let b) = p.rules[1], case .cleanup(let c) = p.rules[2] else {
            Issue.record("wrong kinds"); return
        }
        #expect(a.target == .watermark(high: 0.9, low: 0.8) && a.keepNewest == 2 && a.categoriesLocation.line == 6)
        #expect(b.target == .bytes(1_500_000_000_000) && b.from == Instant(year: 2000, month: 1, day: 1) && b.to == Instant(year: 2017, month: 5, day: 1))
        #expect(b.keepNewest == 1 && b.name == "rule 2 (age-off)")
        #expect(c.coveredBy == ["merge"] && !c.sameStream && c.olderThan == 2 * 86_400_000_000)
    }

    @Test(arguments: [
        // (policy text, line, key, words in the message)
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_then = \"3d\"", 5, "rule[1].older_then", "did you mean 'older_than'"),
        ("context = \"c\"\ncontxt = 1\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"3d\"", 2, "contxt", "did you mean 'context'"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"3d\"\nkeep_newest = \"one\"", 6, "rule[1].keep_newest", "expected an integer"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = 7\nolder_than = \"3d\"", 4, "rule[1].categories", "expected a string or an array"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nwhen_above = \"80%\"\nuntil_below = \"90%\"", 6, "rule[1].until_below", "must be below the high one"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nwhen_above = \"85%\"\nuntil_below = \"85%\"", 6, "rule[1].until_below", "must be below the high one"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nwhen_above = \"120%\"\nuntil_below = \"90%\"", 5, "rule[1].when_above", "not a percentage"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"3d\"\nkeep_newest = 0", 6, "rule[1].keep_newest", "never deleted"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]", 2, nil, "would delete every file"),
        ("context = \"c\"\n[[rule]]\nkind = \"purge-all\"\ncategories = [\"a\"]", 3, "rule[1].kind", "unknown rule kind"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"3d\"\nthen_state = \"cleaned\"", 6, "rule[1].then_state", "needs 'dataset_state'"),
        ("context = \"c\"\n[[rule]]\nkind = \"cleanup\"\ncategories = [\"a\"]\ncovered_by = [\"b\"]\nolder_than = \"1d\"\ndataset_state = \"\"", 7, "rule[1].dataset_state", "must name a state"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"3d\"\nthen_stat = \"x\"", 6, "rule[1].then_stat", "did you mean 'then_state'"),
        ("context = \"c\"\n[[rule]]\nkind = \"cleanup\"\ncategories = [\"a\"]\ncovered_by = [\"b\"]", 2, nil, "needs 'older_than'"),
        ("context = \"c\"\n[[rule]]\nkind = \"cleanup\"\ncategories = [\"a\"]\ncovered_by = [\"a\"]\nolder_than = \"1d\"", 5, "rule[1].covered_by", "cannot cover itself"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nfree = \"10G\"\nuntil_below = \"80%\"", 5, "rule[1].free", "not both"),
        ("context = \"c\"\n[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nbefore = \"yesterday\"", 5, "rule[1].before", "is not a time"),
        ("[[rule]]\nkind = \"age-off\"\ncategories = [\"a\"]\nolder_than = \"1d\"", 1, "context", "needs the key 'context'"),
        ("context = \"c\"\n[[rule]]\ncategories = [\"a\"]\nolder_than = \"1d\"", 2, "rule[1].kind", "needs the key 'kind'"),
        ("context = \"c\"\nrule = [\n  { kind = \"age-off\", categories = [\"a\"], older_then = \"1d\" },\n]", 3, "rule[1].older_then", "unknown key"),
        ("context = \"c\"\n[rule]\nkind = \"age-off\"", 2, "rule", "[[rule]]"),
        ("context = \"c\"\n[[rule]\nkind = 1", 2, nil, "TOML syntax error"),
    ] as [(String, Int?, String?, String)])
    func malformedPoliciesAreRejectedWithFileLineAndKey(_ text: String, _ line: Int?, _ key: String?, _ words: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.file == "policies/p.toml")
            #expect(error.line == line, "\(error)")
            #expect(error.key == key, "\(error)")
            #expect(error.message.contains(words), "\(error)")
        }
    }

    @Test func unknownCategoriesAreRejectedAgainstTheCatalogWithTheirLine() throws {
        let f = try PolicyFixture()
        f.makeTree(days: 1)
        try f.scan()
        let p = try f.policy("""
            [[rule]]
            kind = "cleanup"
            categories = ["raw/dsm"]
            covered_by = ["merged"]
            older_than = "1d"
            """)
        do {
            _ = try f.catalog.validate(p)
            Issue.record("accepted an unknown category")
        } catch {
            guard case .configuration(let e) = error else { Issue.record("\(error)"); return }
            #expect(e.line == 5 && e.key == "rule[1].covered_by" && e.message.contains("did you mean 'merge'"), "\(e)")
        }
        let other = try Policy(file: "q.toml", text: "context = \"nowhere\"\n" + ageOffAll, defaultName: "q", now: f.now)
        #expect(throws: PolicyError.self) { _ = try f.catalog.validate(other) }
    }

    @Test func theShippedPoliciesParse() throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/policies"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".toml") }
        #expect(names.count >= 2)
        for n in names {
            let p = try #require(try PolicyLibrary(directories: [dir]).policy(named: String(n.dropLast(5)), now: now))
            #expect(!p.rules.isEmpty)
        }
    }

    @Test(arguments: [("100G", Int64(100_000_000_000)), ("2T", 2_000_000_000_000), ("500GiB", 536_870_912_000), ("123", 123), ("1.5kB", 1500)])
    func sizes(_ text: String, _ bytes: Int64) { #expect(Quantity.bytes(text) == bytes) }

    @Test func percentages() {
        #expect(Quantity.percent("80%") == 0.8 && Quantity.percent(" 90 ") == 0.9)
        #expect(Quantity.percent("101%") == nil && Quantity.percent("x") == nil)
    }
}

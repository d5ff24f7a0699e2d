import Foundation
import Testing
@testable import TidemarkCore
import TestSupport

/// `[[dataset_states]]` in a context definition: chains read as transitions, and every
/// malformed machine refused with file, line and key.
@Suite struct DatasetStateMachineTests {
    func parse(_ machines: String) throws(DefinitionError) -> ContextDefinition {
        try ContextDefinition(file: "states.toml", text: "roots = [\"/data\"]\n\n" + machines, defaultName: "x")
    }

    func error(_ machines: String) -> DefinitionError? {
        do { _ = try parse(machines); return nil } catch { return error }
    }

    @Test func aChainIsReadAsOneTransitionPerStep() throws {
        let d = try parse("""
            [[dataset_states]]
            category = ["raw", "reco"]
            states = ["unlocked", "prestaged", "reconstructed", "merged", "merged_dbup", "cleaned"]
            initial = "unlocked"
            transitions = ["unlocked -> prestaged -> reconstructed -> merged -> merged_dbup -> cleaned", "prestaged -> unlocked"]
            """)
        let m = try #require(d.stateMachine(for: "reco"))
        #expect(d.stateMachine(for: "other") == nil)
        #expect(m.initial == "unlocked")
        #expect(m.transitions.count == 6)
        #expect(m.allows(from: "merged", to: "merged_dbup") && m.allows(from: "prestaged", to: "unlocked"))
        #expect(!m.allows(from: "unlocked", to: "merged"))
        #expect(m.next(from: "prestaged") == ["reconstructed", "unlocked"])
    }

    @Test func theInitialStateDefaultsToTheFirstListed() throws {
        let m = try #require(try parse("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\"new -> done\"]")
            .stateMachine(for: "a"))
        #expect(m.initial == "new")
    }

    @Test func theShippedPs1DefinitionMovesMinidvodbsFromNewToMergedToCopied() throws {
        let d = try DefinitionLibrary.load(path: SampleFiles.packageRoot.path + "/catalogs/ipp/ps1.toml", defaultName: "ipp/ps1")
        let m = try #require(d.stateMachine(for: "minidvodb"))
        #expect(m.states == ["new", "merged", "copied"] && m.initial == "new")
        #expect(m.transitions == [.init(from: "new", to: "merged"), .init(from: "merged", to: "copied")])
    }

    @Test(arguments: [
        // (tables, line, key, words of the message)
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ninitial = \"old\"\ntransitions = [\"new -> done\"]",
         6, "dataset_states[1].initial", "'old' is not one of the declared states"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\n  \"new -> done\",\n  \"done -> gone\",\n]",
         8, "dataset_states[1].transitions", "'gone', which is not a declared state"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\", \"new\"]\ntransitions = [\"new -> done\"]",
         5, "dataset_states[1].states", "state 'new' is listed twice"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\"new -> done\", \"new -> done\"]",
         6, "dataset_states[1].transitions", "'new -> done' is declared twice"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\"new -> done\"]\n\n"
            + "[[dataset_states]]\ncategory = [\"b\", \"a\"]\nstates = [\"x\"]",
         9, "dataset_states[2].category", "category 'a' already has its states declared"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\", \"lost\"]\ntransitions = [\"new -> done\"]",
         6, "dataset_states[1].transitions", "state 'lost' cannot be reached"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\"new -> done\", \"done -> done\"]",
         6, "dataset_states[1].transitions", "'done -> done' goes nowhere"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"done\"]\ntransitions = [\"new ->\"]",
         6, "dataset_states[1].transitions", "is not a transition"),
        ("[[dataset_states]]\ncategory = \"a\"\nstates = [\"new\", \"has space\"]",
         5, "dataset_states[1].states", "'has space' is not a state name"),
        ("[[dataset_states]]\nstates = [\"new\"]", 3, "dataset_states[1].category", "needs 'category'"),
        ("[[dataset_states]]\ncategory = \"a\"\nstats = [\"new\"]", 5, "dataset_states[1].stats", "did you mean 'states'"),
        ("[dataset_states]\ncategory = \"a\"", 3, "dataset_states", "write [[dataset_states]]"),
    ] as [(String, Int, String, String)])
    func malformedMachinesAreRefusedWithFileLineAndKey(_ tables: String, _ line: Int, _ key: String, _ words: String) throws {
        let e = try #require(error(tables), "accepted:\n\(tables)")
        #expect(e.file == "states.toml")
        #expect(e.line == line, "\(e)")
        #expect(e.key == key, "\(e)")
        #expect(e.message.contains(words), "\(e)")
    }
}


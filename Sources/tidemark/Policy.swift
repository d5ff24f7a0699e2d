import ArgumentParser
import Foundation
import TidemarkCore

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Plan or run a policy: age-off, cleanup and copy rules from policies/<name>.toml.",
        discussion: """
            Policies are policies/<name>.toml (see policies/README.md), searched in --policies DIR, \
            $TIDEMARK_POLICIES, ./policies, ~/.config/tidemark/policies, \
            <prefix>/share/tidemark/policies and /etc/tidemark/policies; NAME may also be a path \
            to a .toml file.

            Nightly, after the scan:
              30 2 * * *  tidemark scan perdigao/ustar --quiet && tidemark policy run ustar-nightly --yes
            """,
        subcommands: [PolicyPlan.self, PolicyRunCommand.self])
}

/// Where policies are.
struct PolicySearch: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Directory of policies (<name>.toml).", valueName: "DIR"))
    var policies: String?

    /// The search path of policies.
    var library: PolicyLibrary {
        PolicyLibrary.standard(explicit: policies.map(expandTilde), environment: ProcessInfo.processInfo.environment,
                               currentDirectory: FileManager.default.currentDirectoryPath,
                               executable: CommandLine.arguments.first.map { $0.contains("/") ? absolutePath($0) : $0 })
    }

    func load(_ name: String) throws -> Policy {
        let library = self.library
        let now = Instant(secondsSince1970: Date().timeIntervalSince1970)
        do {
            if let p = try library.policy(named: name, now: now) { return p }
        } catch { throw Failure.configuration(error.description) }
        throw Failure.configuration("""
            no policy '\(name)'; looked for \(name).toml in:
              \(library.directories.joined(separator: "\n  "))
            Write one (see policies/README.md) or name its directory with --policies DIR.
            """)
    }
}

struct PolicyPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print what a policy would remove, and why; changes nothing.",
        discussion: PolicyExit.planHelp)

    @Argument(help: "The policy (policies/<name>.toml).") var name: String
    @OptionGroup var search: PolicySearch
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let policy = try search.load(name)
            try PolicyRunner(policy: policy, catalog: catalog, json: output.json, execute: false).run()
        }
    }
}

struct PolicyRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a policy: with --yes, remove what its plan lists, under the journal and the catalog's lock.",
        discussion: """
            First settles what an interrupted run left open in the journal, then plans, then \
            checks every file again just before removing it; then moves datasets on (then_state), \
            queues and runs the copies of copy rules, each action journaled. Without --yes it only \
            prints the plan.

            \(PolicyExit.help)
            """)

    @Argument(help: "The policy (policies/<name>.toml).") var name: String
    @OptionGroup var search: PolicySearch
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var flags: ExecuteFlags

    func run() throws {
        try exitReporting {
            let policy = try search.load(name)
            try PolicyRunner(policy: policy, catalog: catalog, json: output.json, execute: flags.yes, batchSize: flags.batchSize).run()
        }
    }
}

import Foundation
import Testing
import TestSupport
import TidemarkCore

/// `tidemark host`: add (this machine, or over ssh), set up|repair|down, on|off, list; bad
/// names, addresses, ports and identities, duplicates and unknown hosts refused (exit 64).
@Suite struct HostCommandTests {
    @Test(arguments: StoreKind.allCases)
    func hostsAreAddedChangedAndListed(_ store: StoreKind) throws {
        let db: String
        switch store {
        case .sqlite: db = temporaryDirectory("hosts-db") + "/c.db"
        case .postgres:
            guard let url = try freshPostgresDatabase() else { return }
            db = url
        }
        let key = temporaryDirectory("hosts-key") + "/id_ed25519"
        FileManager.default.createFile(atPath: key, contents: Data("key".utf8))
        func run(_ args: [String]) throws -> Run { try tidemark(["host"] + args + ["--db", db]) }

        #expect(try run(["add", "local"]).status == 0)
        let far = try run(["add", "far", "--ssh", "ipp@127.0.0.2", "--port", "2222", "--identity", key])
        #expect(far.status == 0 && far.stdout.contains("ssh ipp@127.0.0.2"), "\(far.stderr)")
        #expect(try run(["add", "v6", "--ssh", "[::1]"]).status == 0)

        let duplicate = try run(["add", "far"])
        #expect(duplicate.status == 64 && duplicate.stderr.contains("a host named 'far' exists already"), "\(duplicate.stderr)")
        for bad in [["add", "x", "--ssh=-oProxyCommand=sh"], ["add", "x", "--ssh", "a b"], ["add", "x", "--ssh", "me@"],
                    ["add", "x", "--ssh", "a@b@c"], ["add", "-x"], ["add", "x y"], ["add", "x", "--ssh", "h", "--port", "70000"],
                    ["add", "x", "--port", "22"], ["add", "x", "--ssh", "h", "--identity", key + ".missing"]] {
            let r = try run(bad)
            #expect(r.status == 64 && !r.stderr.isEmpty, "\(bad): \(r.status) \(r.stderr)")
        }

        #expect(try run(["set", "far", "repair"]).status == 0)
        #expect(try run(["off", "local"]).status == 0)
        #expect(try run(["off", "v6"]).status == 0)
        #expect(try run(["on", "v6"]).status == 0)
        for (args, words) in [(["set", "nowhere", "down"], "no host 'nowhere'"), (["on", "nowhere"], "no host 'nowhere'"),
                              (["set", "far", "sideways"], "'up', 'repair' or 'down'")] {
            let r = try run(args)
            #expect(r.status == 64 && r.stderr.contains(words), "\(args): \(r.stderr)")
        }

        let list = try run(["list", "--json"])
        #expect(list.status == 0, "\(list.stderr)")
        let hosts = try #require(try list.json() as? [[String: Any]])
        #expect(hosts.map { $0["name"] as? String } == ["far", "local", "v6"])
        #expect(hosts[0]["address"] as? String == "ipp@127.0.0.2" && hosts[0]["port"] as? Int == 2222 && hosts[0]["identity"] as? String == key)
        #expect(hosts[0]["state"] as? String == "repair" && hosts[0]["on"] as? Bool == true && hosts[0]["copies"] as? Int == 0)
        #expect(hosts[1]["address"] == nil && hosts[1]["state"] as? String == "up" && hosts[1]["on"] as? Bool == false)
        #expect(hosts[2]["address"] as? String == "::1" && hosts[2]["on"] as? Bool == true)
        let table = try run(["list"])
        #expect(table.status == 0 && table.stdout.contains("(this machine)") && table.stdout.contains("repair"), "\(table.stdout)")
    }
}

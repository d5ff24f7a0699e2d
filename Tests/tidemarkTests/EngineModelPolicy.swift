import Foundation
import TestSupport

/// A random policy for the model test: a `policies/<name>.toml` of age-off and cleanup rules,
/// or one `tidemark delete` command line.
struct ModelPolicy {
    /// When an age-off rule stops.
    enum Target {
        case olderThan(hours: Int)
        case before(days: Int)
        case free(bytes: Int)
        /// `time = "20000101,"`: everything but the newest files.
        case everything

        var toml: String {
            switch self {
            case .olderThan(let h): "older_than = \"\(h)h\""
            case .before(let d): "before = \"-\(d)d\""
            case .free(let b): "free = \(b)"
            case .everything: "time = \"20000101,\""
            }
        }

        var arguments: [String] {
            switch self {
            case .olderThan(let h): ["--before=-\(h)h"]
            case .before(let d): ["--before=-\(d)d"]
            case .free(let b): ["--free", "\(b)"]
            case .everything: ["--time", "20000101,"]
            }
        }
    }

    enum Rule {
        case ageOff(categories: [String], target: Target, keep: Int)
        case cleanup(category: String, coveredBy: String, sameStream: Bool, olderThanHours: Int, keep: Int)

        var categories: [String] {
            switch self {
            case .ageOff(let c, _, _): c
            case .cleanup(let c, _, _, _, _): [c]
            }
        }

        var keep: Int {
            switch self {
            case .ageOff(_, _, let k), .cleanup(_, _, _, _, let k): k
            }
        }

        var text: String {
            switch self {
            case .ageOff(let c, let t, let k): "age-off \(c.joined(separator: "+")) \(t.toml) keep_newest \(k)"
            case .cleanup(let c, let b, let same, let h, let k): "cleanup \(c) covered by \(b)\(same ? "" : " (any stream)") older_than \(h)h keep_newest \(k)"
            }
        }
    }

    var rules: [Rule]
    /// One age-off rule given as `tidemark delete` options.
    var viaDelete: Bool

    /// A random policy over the categories the world has.
    static func random(_ world: ModelWorld) -> ModelPolicy {
        var rng = world.rng
        defer { world.rng = rng }
        let ageable = world.categories.filter { $0 != "night" }
        func target() -> Target {
            switch Int.random(in: 0..<8, using: &rng) {
            case 0, 1, 2: .olderThan(hours: [24, 48, 72, 96].randomElement(using: &rng)!)
            case 3: .before(days: Int.random(in: 1...3, using: &rng))
            case 4, 5: .free(bytes: [300, 1500, 5000, 1_000_000].randomElement(using: &rng)!)
            default: .everything
            }
        }
        func ageOff() -> Rule {
            let n = Int.random(in: 1...2, using: &rng)
            return .ageOff(categories: Array(ageable.shuffled(using: &rng).prefix(n)), target: target(), keep: Int.random(in: 1...3, using: &rng))
        }
        if Int.random(in: 0..<3, using: &rng) == 0 { return ModelPolicy(rules: [ageOff()], viaDelete: true) }
        var rules: [Rule] = []
        if Int.random(in: 0..<4, using: &rng) > 0 {
            rules.append(.cleanup(category: "raw", coveredBy: "daily", sameStream: Int.random(in: 0..<5, using: &rng) > 0,
                                  olderThanHours: [12, 24, 48].randomElement(using: &rng)!, keep: Int.random(in: 1...2, using: &rng)))
        }
        if world.hasCamera && Bool.random(using: &rng) {
            rules.append(.cleanup(category: "night", coveredBy: "frames", sameStream: true, olderThanHours: 24, keep: 1))
        }
        for _ in 0..<Int.random(in: rules.isEmpty ? 1...2 : 0...2, using: &rng) { rules.append(ageOff()) }
        // Cleanup first, then age-off of its products, most of the time (the order a plan must survive).
        if Int.random(in: 0..<4, using: &rng) == 0 { rules.shuffle(using: &rng) }
        return ModelPolicy(rules: rules, viaDelete: false)
    }

    var text: String { (viaDelete ? "tidemark delete: " : "policy: ") + rules.map(\.text).joined(separator: "; ") }

    func toml(context: String) -> String {
        var out = "context = \"\(context)\"\n"
        for (i, r) in rules.enumerated() {
            out += "\n[[rule]]\nname = \"r\(i + 1)\"\n"
            switch r {
            case .ageOff(let c, let t, let k):
                out += "kind = \"age-off\"\ncategories = [\(c.map { "\"\($0)\"" }.joined(separator: ", "))]\n\(t.toml)\nkeep_newest = \(k)\n"
            case .cleanup(let c, let b, let same, let h, let k):
                out += "kind = \"cleanup\"\ncategories = [\"\(c)\"]\ncovered_by = [\"\(b)\"]\nsame_stream = \(same)\nolder_than = \"\(h)h\"\nkeep_newest = \(k)\n"
            }
        }
        return out
    }

    /// The command line of a plan (without `--yes`) or a run.
    func arguments(_ world: ModelWorld, name: String) -> [String] {
        guard viaDelete, case .ageOff(let categories, let target, let keep) = rules[0] else {
            return ["policy", "run", name, "--policies", world.policies, "--db", world.db, "--json"]
        }
        return ["delete", "--context", ModelWorld.context, "--db", world.db, "--json", "--keep-newest", "\(keep)"]
            + categories.flatMap { ["--categories", $0] } + target.arguments
    }

    /// The newest files of each stream of `category` that must stay: the least any rule naming it keeps.
    func keep(_ category: String) -> Int? { rules.filter { $0.categories.contains(category) }.map(\.keep).min() }

    /// Cleanup rules of a category that no age-off rule of this policy also names: every file
    /// of it removed was purged, and needs its cover.
    func cleanup(of category: String) -> (coveredBy: String, sameStream: Bool)? {
        for r in rules {
            if case .ageOff(let c, _, _) = r, c.contains(category) { return nil }
        }
        for r in rules {
            if case .cleanup(let c, let b, let same, _, _) = r, c == category { return (b, same) }
        }
        return nil
    }
}

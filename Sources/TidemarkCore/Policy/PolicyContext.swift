import Foundation

/// A context as the catalog holds it: its roots and the categories of its files.
public struct PolicyContext: Sendable {
    public var id: Int64
    public var name: String
    public var roots: [(id: Int64, path: PathBytes)]
    public var categories: Set<String>

    public init(id: Int64, name: String, roots: [(id: Int64, path: PathBytes)], categories: Set<String>) {
        self.id = id; self.name = name; self.roots = roots; self.categories = categories
    }
}

extension CatalogListing {
    /// Checks a policy against the catalog before anything happens: its context must have
    /// been scanned and every category it names must be one the catalog holds for it.
    public func validate(_ policy: Policy) throws(PolicyError) -> PolicyContext {
        let found: PolicyContext?
        do { found = try policyContext(policy.context) } catch { throw .catalog(error) }
        guard let context = found else {
            let known = (try? contextNames()) ?? []
            throw .configuration(DefinitionError(file: policy.file, key: "context", message:
                "the catalog \(path) has no context '\(policy.context)'" + (known.isEmpty ? " (it holds none yet: run `tidemark scan` first)" : "; it holds \(known.joined(separator: ", "))")))
        }
        for rule in policy.rules {
            for (category, location) in rule.categoryLocations where !context.categories.contains(category) {
                let hint = context.categories.min(by: { editDistance($0, category) < editDistance($1, category) })
                    .flatMap { editDistance($0, category) <= 3 ? " (did you mean '\($0)'?)" : nil } ?? ""
                throw .configuration(location.error("unknown category '\(category)' in context \(policy.context)\(hint); the catalog holds: \(context.categories.sorted().joined(separator: ", "))"))
            }
        }
        return context
    }
}

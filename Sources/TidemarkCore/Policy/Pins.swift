/// Files that unfinished requests need (and files regenerated for them): age-off and
/// cleanup plans leave them out, and a rule's note says so, until each request is `full`
/// and its grace has run out (invariant 3: a file an open request needs is not removed).
struct Pins {
    /// Each pinned file, with the lowest-numbered request that pins it.
    let byFile: [Int64: Int64]
    /// The pinned files the current rule would otherwise have weighed, with their requests.
    private var held: [Int64: Int64] = [:]

    /// The pins a planning snapshot reads at `now`.
    init(_ byFile: [Int64: Int64] = [:]) { self.byFile = byFile }

    /// Whether file `id` may be chosen; a pinned one is noted for the rule's note.
    mutating func admits(_ id: Int64) -> Bool {
        guard let request = byFile[id] else { return true }
        held[id] = request
        return false
    }

    /// Whether file `id` is pinned (for the other members of a dataset: one pinned member keeps them all).
    func pins(_ id: Int64) -> Bool { byFile[id] != nil }

    /// Starts a rule's count afresh.
    mutating func beginRule() { held = [:] }

    /// The current rule's note on the files it left for requests; nil when none.
    func note() -> String? {
        guard !held.isEmpty else { return nil }
        let requests = Set(held.values).sorted()
        let named = requests.prefix(5).map(String.init).joined(separator: ", ") + (requests.count > 5 ? ", …" : "")
        let n = held.count
        return "\(n) file\(n == 1 ? "" : "s") kept (with any dataset \(n == 1 ? "it belongs" : "they belong") to): pinned by "
            + "request\(requests.count == 1 ? "" : "s") \(named), until full plus the grace period"
    }
}

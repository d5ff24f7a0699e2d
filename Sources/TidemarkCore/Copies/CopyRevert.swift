/// `revert copies`: faulted copies put back to new for another try — by default only the
/// transient faults (2 system, 6 timeout); the others wait for a person to name them. Each
/// revert is journaled through the action runner: intent, the copy's row changed, result.
public enum CopyRevert {
    /// Reverts the copies in fault with one of `faults` (of `host` only, when given); returns
    /// them as they were.
    public static func revert(faults: Set<FaultCode>, host: String?, store: any CopyStore & ActionJournal, by: String,
                              at: Instant) throws -> [CopyRecord] {
        let chosen = try store.copies(CopyFilter(hosts: host.map { [$0] }, state: .fault)).filter { $0.fault.map(faults.contains) ?? false }
        let runner = ActionRunner(journal: store)
        var reverted: [CopyRecord] = []
        for c in chosen {
            let intent = ActionIntent(kind: .revert, subject: .copy(c.id, dataset: c.dataset),
                                      detail: "copy of \(c.datasetName) to \(c.host): fault \(c.fault?.rawValue ?? 0) → new", by: by, target: CopyState.new.rawValue)
            try runner.run(intent) { _ in
                let done = try store.revertCopies([c.id], at: at)
                reverted += done
                return done.isEmpty ? .skipped("no longer in fault (reverted or dropped meanwhile)") : .done()
            }
        }
        return reverted
    }
}

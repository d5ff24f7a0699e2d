/// What every check reads first: that the context it names is in the catalog.
extension QueryStore {
    /// Throws `CheckUnknown` when the catalog holds no context so named (a typo in the
    /// Nagios command is UNKNOWN, not OK).
    func requireContext(_ context: String) throws -> Void {
        let names: [String]
        do { names = try contextNames() } catch { throw CheckUnknown("\(path): \(error.description)") }
        guard names.contains(context) else {
            throw CheckUnknown("context '\(context)' is not in the catalog \(path) (it has: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
        }
    }
}

/// Runs a catalog read for a check; a catalog error becomes UNKNOWN naming the catalog.
func checkRead<T>(_ store: any QueryStore, _ read: () throws(CatalogError) -> T) throws -> T {
    do { return try read() } catch { throw CheckUnknown("\(store.path): \(error.description)") }
}

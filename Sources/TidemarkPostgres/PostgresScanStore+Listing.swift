import TidemarkCore

// What every store answers (`CatalogListing`), on the scan's PostgreSQL store: its catalog's answers.

extension PostgresScanStore {
    public func contextNames() throws(CatalogError) -> [String] { try catalog.contextNames() }

    public func rootRecords(context: String?) throws(CatalogError) -> [RootRecord] { try catalog.rootRecords(context: context) }

    public func policyContext(_ name: String) throws(CatalogError) -> PolicyContext? { try catalog.policyContext(name) }
}

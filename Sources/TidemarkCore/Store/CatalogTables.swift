/// One column value as a catalog copy moves it between stores.
public enum TableValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A table of the catalog's schema as a copy sees it: its columns, and the tables its
/// foreign keys reference (which must be filled first where references are checked).
public struct TableShape: Sendable, Equatable {
    public var name: String
    public var columns: [String]
    public var references: [String]

    public init(name: String, columns: [String], references: [String]) {
        self.name = name; self.columns = columns; self.references = references
    }
}

/// Whole-table access for `catalog copy`: every table of the schema (driven by the schema,
/// so a table a later migration adds is copied too), read in key order within one
/// consistent read, and written in one transaction.
public protocol CatalogTables: AnyObject {
    /// The catalog as messages show it (a URL without its password).
    var path: String { get }
    /// The names of the schema changes the catalog has recorded.
    func appliedMigrations() throws(CatalogError) -> [String]
    /// Every table of the schema (not views, not the record of migrations), by name.
    func tableShapes() throws(CatalogError) -> [TableShape]
    /// Streams the rows of `tables`, in that order, each in batches of at most `batch` rows,
    /// columns in the shape's order, all within one consistent read.
    func readRows(of tables: [TableShape], batch: Int, _ body: (TableShape, [[TableValue]]) throws -> Void) throws(CatalogError)
    /// Runs `body` in one write transaction, committed when it returns and rolled back when it
    /// throws; on PostgreSQL the identity sequences are moved past the rows written.
    func load(_ body: (any TableLoader) throws -> Void) throws(CatalogError)
}

/// Writes rows within `CatalogTables.load`'s transaction.
public protocol TableLoader {
    /// Appends rows to `table`, values in the order of `columns`.
    func append(_ table: String, columns: [String], rows: [[TableValue]]) throws
    /// The rows `table` holds now, in this transaction.
    func count(_ table: String) throws -> Int
}

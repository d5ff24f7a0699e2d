/// `?,?,…`: `n` placeholders (at least one).
func marks(_ n: Int) -> String { Array(repeating: "?", count: max(1, n)).joined(separator: ",") }

/// An enum's stored name as an SQL string literal, for conditions on a status or a result
/// (the names are fixed identifiers without quotes).
func sqlLiteral<E: RawRepresentable>(_ value: E) -> String where E.RawValue == String { "'\(value.rawValue)'" }

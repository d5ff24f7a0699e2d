import GRDB

/// The SQL conditions that limit a query to a context, categories and a stream, over
/// the aliases `c` (contexts) and `s` (streams), with their arguments (names: text).
func streamFilter(context: String?, categories: [String], stream: String?) -> (conditions: [String], arguments: [String]) {
    var conditions: [String] = []
    var arguments: [String] = []
    if let context { conditions.append("c.name = ?"); arguments.append(context) }
    if !categories.isEmpty {
        conditions.append("s.category IN (\(categories.map { _ in "?" }.joined(separator: ",")))")
        arguments += categories
    }
    if let stream { conditions.append("s.name = ?"); arguments.append(stream) }
    return (conditions, arguments)
}

import TidemarkCore

/// A query parameter an endpoint takes: its name, what it holds (for checking it and for the
/// OpenAPI document) and what it means.
struct Parameter: Sendable {
    enum Kind: Sendable {
        /// A time as the CLI takes it (`2017-05-01T12:00Z`, `20170501`, `mjd:57874.5`, `-2d`, `now`).
        case time
        /// An instant or a half-open range `BEGIN,END` (either end may be empty).
        case timeOrRange
        /// A whole number within bounds.
        case integer(ClosedRange<Int>)
        /// `true`/`false` (also `1`/`0`, or present without a value).
        case boolean
        /// Free text.
        case text
        /// One of these words.
        case choice([String])
        /// A length of time (`10m`, `1h`, `2d`).
        case duration
        /// An opaque paging cursor (from the `Link: rel="next"` header).
        case cursor
    }

    var name: String
    var kind: Kind
    var summary: String
    var required = false
    var repeatable = false

    static func context() -> Parameter { Parameter(name: "context", kind: .text, summary: "Only this context.") }
    static func category() -> Parameter { Parameter(name: "category", kind: .text, summary: "Only this category (repeatable).", repeatable: true) }
    static func stream() -> Parameter { Parameter(name: "stream", kind: .text, summary: "Only this stream.") }
}

/// The query parameters of one request, checked against what its endpoint takes: an unknown
/// or repeated one, or a value that does not parse, is a 400 naming it.
struct QueryParameters: Sendable {
    private let values: [(name: String, value: String)]
    let now: Instant

    init(_ pairs: [(String, String)], accepted: [Parameter], now: Instant) throws(APIError) {
        values = pairs.map { (name: $0.0, value: $0.1) }
        self.now = now
        let known = Dictionary(accepted.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, _) in values {
            guard let p = known[name] else {
                let names = accepted.map(\.name).sorted()
                throw .badParameter(name, "unknown parameter; this endpoint takes \(names.isEmpty ? "none" : names.joined(separator: ", "))")
            }
            if !p.repeatable && values.count(where: { $0.name == name }) > 1 { throw .badParameter(name, "given more than once") }
        }
        for p in accepted where p.required && !values.contains(where: { $0.name == p.name }) {
            throw .badParameter(p.name, "required: \(p.summary)")
        }
    }

    /// The value of `name`; nil when absent. An empty value counts as given.
    func string(_ name: String) -> String? { values.last { $0.name == name }?.value }

    /// Every value of a repeatable parameter, in order.
    func strings(_ name: String) -> [String] { values.filter { $0.name == name }.map(\.value) }

    /// A time, relative ones counted back from the server's clock.
    func time(_ name: String) throws(APIError) -> Instant? {
        guard let text = string(name) else { return nil }
        do { return try TimeArgument.parse(text, now: now) } catch { throw .badParameter(name, "\(error)") }
    }

    /// A whole number within `range`.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let n = Int(text), range.contains(n) else {
            throw .badParameter(name, "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// A yes/no flag: `true`, `1` or empty for yes; `false` or `0` for no; absent is no.
    func boolean(_ name: String) throws(APIError) -> Bool {
        guard let text = string(name) else { return false }
        switch text {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw .badParameter(name, "'\(text)' is not true or false")
        }
    }

    /// One of `choices`, else `fallback` when absent.
    func choice(_ name: String, _ choices: [String], default fallback: String) throws(APIError) -> String {
        guard let text = string(name) else { return fallback }
        guard choices.contains(text) else { throw .badParameter(name, "'\(text)' is not one of \(choices.joined(separator: ", "))") }
        return text
    }

    /// One of an enum's names (a state); nil when absent.
    func state<E: RawRepresentable & CaseIterable>(_ name: String, _ type: E.Type) throws(APIError) -> E? where E.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = E(rawValue: text) else {
            throw .badParameter(name, "'\(text)' is not one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A length of time in microseconds.
    func duration(_ name: String) throws(APIError) -> Int64? {
        guard let text = string(name) else { return nil }
        do { return try Duration.parse(text) } catch { throw .badParameter(name, "\(error)") }
    }
}

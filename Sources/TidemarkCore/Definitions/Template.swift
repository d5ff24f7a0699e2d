/// A stream or dataset name written with `{capture}` references, e.g. `minidvodbs/{group}/{db}`.
public struct Template: Sendable, Hashable, CustomStringConvertible {
    enum Part: Sendable, Hashable { case text(String), capture(String) }
    let parts: [Part]
    public let text: String

    public init(_ text: String) throws(PatternError) {
        self.text = text
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            if open > rest.startIndex { parts.append(.text(String(rest[..<open]))) }
            guard let close = rest[open...].firstIndex(of: "}") else {
                throw PatternError(pattern: text, message: "'{' without a closing '}'")
            }
            parts.append(.capture(String(rest[rest.index(after: open)..<close])))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        self.parts = parts
    }

    public var description: String { text }

    public var captureNames: Set<String> {
        Set(parts.compactMap { if case .capture(let n) = $0 { n } else { nil } })
    }

    public func expand(_ match: PathPattern.Match) -> String {
        var out = ""
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .capture(let n): out += match.capture(n) ?? ""
            }
        }
        return out
    }
}

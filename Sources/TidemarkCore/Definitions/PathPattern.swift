/// A path pattern relative to a context root, as written in catalog definitions.
///
/// Components are separated by `/`. `**` alone is any number of components (zero or
/// more). Inside a component: `*` is any run of bytes (shortest first), `?` one byte,
/// `{name}` a named capture (one byte or more, shortest first), and strftime fields
/// `%Y %y %m %d %j %H %M %S` match digits and give the file's time. `%%` is a `%`.
public struct PathPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let components: [Component]

    enum Component: Sendable, Hashable {
        case anyDepth
        case segment([Token])
    }

    enum Token: Sendable, Hashable {
        case literal([UInt8])
        case star
        case one
        case capture(String)
        case field(TimeField)
    }

    public var description: String { text }

    /// Names of the `{captures}` the pattern defines.
    public var captureNames: Set<String> {
        var names = Set<String>()
        for case .segment(let tokens) in components {
            for case .capture(let n) in tokens { names.insert(n) }
        }
        return names
    }

    /// The finest time field in the pattern, or nil when it carries no time.
    public var resolution: TimeResolution? {
        var finest: TimeResolution?
        for case .segment(let tokens) in components {
            for case .field(let f) in tokens {
                let r = f.resolution
                if finest == nil || r < finest! { finest = r }
            }
        }
        return finest
    }

    public init(_ text: String) throws(PatternError) {
        self.text = text
        guard !text.isEmpty else { throw PatternError(pattern: text, message: "the pattern is empty") }
        guard !text.hasPrefix("/") else {
            throw PatternError(pattern: text, message: "patterns are relative to a root; remove the leading '/'")
        }
        var comps: [Component] = []
        for part in text.split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw PatternError(pattern: text, message: "empty path component ('//' or a trailing '/')") }
            // A walk below a root never yields these: such a pattern points outside the root, or nowhere.
            if part == ".." || part == "." {
                throw PatternError(pattern: text, message: "'\(part)' is not allowed: patterns name paths below the root, e.g. 'raw_data/*.dat'")
            }
            if part == "**" {
                if case .anyDepth? = comps.last { continue }
                comps.append(.anyDepth)
            } else {
                comps.append(.segment(try Self.tokens(of: Array(part.utf8), in: text)))
            }
        }
        var seenFields = Set<TimeField>()
        for case .segment(let tokens) in comps {
            for case .field(let f) in tokens {
                guard seenFields.insert(f).inserted else {
                    throw PatternError(pattern: text, message: "the time field %\(f.letter) appears twice")
                }
            }
        }
        if seenFields.contains(.dayOfYear) && (seenFields.contains(.month) || seenFields.contains(.day)) {
            throw PatternError(pattern: text, message: "%j (day of year) cannot be combined with %m or %d")
        }
        if !seenFields.isEmpty && !seenFields.contains(.year4) && !seenFields.contains(.year2) {
            throw PatternError(pattern: text, message: "a pattern with time fields needs a year (%Y or %y)")
        }
        self.components = comps
    }

    private static func tokens(of bytes: [UInt8], in text: String) throws(PatternError) -> [Token] {
        var out: [Token] = []
        var literal: [UInt8] = []
        func flush() { if !literal.isEmpty { out.append(.literal(literal)); literal = [] } }
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "*"):
                flush()
                if case .star? = out.last {} else { out.append(.star) }
                i += 1
            case UInt8(ascii: "?"):
                flush(); out.append(.one); i += 1
            case UInt8(ascii: "{"):
                guard let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw PatternError(pattern: text, message: "'{' without a closing '}'")
                }
                let name = String(decoding: bytes[(i + 1)..<close], as: UTF8.self)
                guard !name.isEmpty, name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 | 0x20 >= 97 && $0 | 0x20 <= 122) }) else {
                    throw PatternError(pattern: text, message: "capture name '{\(name)}' must be letters, digits or '_'")
                }
                flush(); out.append(.capture(name)); i = close + 1
            case UInt8(ascii: "%"):
                guard i + 1 < bytes.count else { throw PatternError(pattern: text, message: "'%' at the end of a component") }
                let c = bytes[i + 1]
                if c == UInt8(ascii: "%") { literal.append(c) } else {
                    guard let f = TimeField(letter: c) else {
                        throw PatternError(pattern: text, message: "unknown time field '%\(Character(UnicodeScalar(c)))'; use %Y %y %m %d %j %H %M %S")
                    }
                    flush(); out.append(.field(f))
                }
                i += 2
            default:
                literal.append(b); i += 1
            }
        }
        flush()
        return out
    }

    // MARK: Matching

    /// What a successful match found: captures and time fields.
    public struct Match: Sendable, Equatable {
        public var captures: [String: [UInt8]] = [:]
        public var fields = TimeFields()

        public func capture(_ name: String) -> String? { captures[name].map { String(decoding: $0, as: UTF8.self) } }
    }

    /// Partial matches of the pattern after a directory's components; reused for each file in it.
    public struct DirectoryState: Sendable {
        let partials: [(index: Int, match: Match)]
        /// The pattern ends in `**` and has reached it: it matches everything below.
        public let matchesEverythingBelow: Bool
        public var canMatchFiles: Bool { !partials.isEmpty }
    }

    /// Matches the directory part once, so that each file in it only costs its name.
    public func enter(directory components: [[UInt8]]) -> DirectoryState {
        var results: [(Int, Match)] = []
        advance(0, components[...], Match(), into: &results)
        let last = self.components.count - 1
        let everything = self.components.last == .anyDepth && results.contains { $0.0 == last }
        return DirectoryState(partials: results, matchesEverythingBelow: everything)
    }

    /// Matches a file name in a directory already entered.
    public func match(fileName: [UInt8], in state: DirectoryState) -> Match? {
        for (index, partial) in state.partials {
            if let m = finish(index, name: fileName, partial) { return m }
        }
        return nil
    }

    /// Matches a whole relative path (components, the last being the file name).
    public func match(path: [[UInt8]]) -> Match? {
        guard let name = path.last else { return nil }
        return match(fileName: name, in: enter(directory: Array(path.dropLast())))
    }

    /// Every state reachable after consuming all of `dirs`, pattern left to match the file name.
    private func advance(_ pi: Int, _ dirs: ArraySlice<[UInt8]>, _ m: Match, into out: inout [(Int, Match)]) {
        guard pi < components.count else { return }
        guard let first = dirs.first else { out.append((pi, m)); return }
        switch components[pi] {
        case .anyDepth:
            advance(pi, dirs.dropFirst(), m, into: &out)  // ** eats this component
            advance(pi + 1, dirs, m, into: &out)          // ** eats nothing more
        case .segment(let tokens):
            if let m2 = Self.matchSegment(tokens, first, m) {
                advance(pi + 1, dirs.dropFirst(), m2, into: &out)
            }
        }
    }

    private func finish(_ pi: Int, name: [UInt8], _ m: Match) -> Match? {
        guard pi < components.count else { return nil }
        switch components[pi] {
        case .anyDepth:
            // `**` last takes the name itself; otherwise try what follows it.
            if pi == components.count - 1 { return m }
            return finish(pi + 1, name: name, m)
        case .segment(let tokens):
            guard pi == components.count - 1 else { return nil }
            return Self.matchSegment(tokens, name, m)
        }
    }

    /// Matches one component; the new captures and fields are added to a copy of `m`.
    private static func matchSegment(_ tokens: [Token], _ name: [UInt8], _ m: Match) -> Match? {
        var state = SegmentState(fields: m.fields)
        let matched = name.withUnsafeBufferPointer { s in
            tokens.withUnsafeBufferPointer { t in step(t, 0, s, 0, &state) }
        }
        guard matched else { return nil }
        var out = m
        out.fields = state.fields
        for (n, r) in state.captures { out.captures[n] = Array(name[r]) }
        return out
    }

    /// Backtracking state: undone on failure, so no copies are made while searching.
    private struct SegmentState {
        var fields: TimeFields
        var captures: [(String, Range<Int>)] = []
    }

    private static func step(_ t: UnsafeBufferPointer<Token>, _ ti: Int, _ s: UnsafeBufferPointer<UInt8>, _ si: Int,
                             _ state: inout SegmentState) -> Bool {
        guard ti < t.count else { return si == s.count }
        switch t[ti] {
        case .literal(let lit):
            guard s.count - si >= lit.count else { return false }
            for k in 0..<lit.count where s[si + k] != lit[k] { return false }
            return step(t, ti + 1, s, si + lit.count, &state)
        case .one:
            return si < s.count && step(t, ti + 1, s, si + 1, &state)
        case .star:
            if ti + 1 == t.count { return true }  // a trailing * takes the rest
            for n in 0...(s.count - si) where step(t, ti + 1, s, si + n, &state) { return true }
            return false
        case .capture(let name):
            guard si < s.count else { return false }
            for n in 1...(s.count - si) {
                state.captures.append((name, si..<(si + n)))
                if step(t, ti + 1, s, si + n, &state) { return true }
                state.captures.removeLast()
            }
            return false
        case .field(let f):
            let width = f.width
            guard s.count - si >= width else { return false }
            var value = 0
            for k in 0..<width {
                let b = s[si + k]
                guard b >= 48 && b <= 57 else { return false }
                value = value * 10 + Int(b - 48)
            }
            guard f.accepts(value) else { return false }
            let previous = state.fields[f]
            state.fields[f] = value
            if step(t, ti + 1, s, si + width, &state) { return true }
            state.fields[f] = previous
            return false
        }
    }
}

/// A pattern that cannot be compiled, with the reason.
public struct PatternError: Error, Sendable, CustomStringConvertible {
    public var pattern: String
    public var message: String
    public var description: String { "bad pattern '\(pattern)': \(message)" }
}

/// Keyword names as the 8-byte words that open their cards (blank-padded), for lookups
/// without building a String per card.
struct FITSKeywordSet: Sendable {
    /// The wanted names' words, sorted for a binary search per card.
    let words: [UInt64]
    /// Words of the names whose comments are wanted too.
    let commented: [UInt64]

    init(_ names: Set<String>, commented: Set<String> = []) {
        words = names.map(Self.word(of:)).sorted()
        self.commented = commented.map(Self.word(of:))
    }

    /// True when the comment of a card opening with `word` is wanted.
    func wantsComment(_ word: UInt64) -> Bool { commented.contains(word) }

    /// True when a card opening with `word` is wanted.
    func contains(_ word: UInt64) -> Bool {
        var lo = 0, hi = words.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if words[mid] < word { lo = mid + 1 } else { hi = mid }
        }
        return lo < words.count && words[lo] == word
    }

    static let endWord: UInt64 = word(of: "END")

    /// The first 8 bytes as a word, lower case folded to upper as cfitsio does.
    static func word(_ b: UnsafeRawBufferPointer) -> UInt64 {
        if b.count >= 8 {
            // Most keys need no folding: no byte in 0x60…0x7f (a-z among them), none zero.
            let w = UInt64(bigEndian: b.loadUnaligned(as: UInt64.self))
            let high = w & (w << 1) & 0x4040_4040_4040_4040
            let zero = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
            if high == 0 && zero == 0 { return w }
        }
        var w: UInt64 = 0
        for i in 0..<8 {
            var c = i < b.count ? b[i] : 0x20
            if c >= 0x61 && c <= 0x7a { c -= 0x20 }
            if c == 0 { c = 0x20 }
            w = w << 8 | UInt64(c)
        }
        return w
    }

    /// `word(of:)` of a keyword written in the source (upper case, no NUL, as every one
    /// is): its bytes as they are, blank-padded, with no String to build.
    static func word(ofKey key: StaticString) -> UInt64 {
        key.withUTF8Buffer { b in
            var w: UInt64 = 0
            for i in 0..<8 { w = w << 8 | UInt64(i < b.count ? b[i] : 0x20) }
            return w
        }
    }

    /// A keyword name's word: its first 8 bytes, blank-padded, folded as `word(_:)` folds.
    static func word(of name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { word(UnsafeRawBufferPointer(start: $0.baseAddress, count: min(8, $0.count))) }
    }
}

/// One FITS header card as written: the value keeps its quotes.
struct FITSCard: Sendable {
    var value: String
    var comment: String = ""
}

/// The wanted cards of one HDU, the first of duplicates kept. A header holds only a few
/// of them, so they are a short list searched by keyword word: no dictionary to build
/// and no String to hash per file.
struct FITSCards: Sendable {
    private var entries: [(word: UInt64, card: FITSCard)] = []

    init() { entries.reserveCapacity(8) }

    /// Cards by name, as tests write them; names longer than a keyword (8 bytes) or with
    /// blanks can never be looked up and are left out.
    init(_ cards: [String: FITSCard]) {
        for (name, card) in cards {
            let bytes = Array(name.utf8)
            guard (1...8).contains(bytes.count), !bytes.contains(0x20) else { continue }
            // The exact bytes, unfolded: a lower-case name matches no keyword, as in a dictionary.
            var w: UInt64 = 0
            for i in 0..<8 { w = w << 8 | UInt64(i < bytes.count ? bytes[i] : 0x20) }
            add(w, card)
        }
    }

    /// True when a card opening with `word` is already held.
    func contains(_ word: UInt64) -> Bool { self[word: word] != nil }

    /// Keeps `card` under `word` unless a card with that word is already held.
    mutating func add(_ word: UInt64, _ card: FITSCard) {
        guard !contains(word) else { return }
        entries.append((word, card))
    }

    /// The card named `key` (a keyword of at most 8 bytes).
    subscript(key: StaticString) -> FITSCard? { self[word: FITSKeywordSet.word(ofKey: key)] }

    /// The card opening with `word`.
    subscript(word word: UInt64) -> FITSCard? {
        for e in entries where e.word == word { return e.card }
        return nil
    }
}

import Foundation

/// A small seedable generator (SplitMix64), so a failing run can be replayed.
public struct SplitMix: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of the in-suite fuzzers: a fixed sequence by default, so CI is repeatable (a
/// crash one found stops every run, not one run in a hundred); `TIDEMARK_FUZZ_SEED=N`
/// replays N and `TIDEMARK_FUZZ_SEED=random` explores.
public enum FuzzSeed {
    public static let value: UInt64 = {
        switch ProcessInfo.processInfo.environment["TIDEMARK_FUZZ_SEED"] {
        case "random": return UInt64.random(in: 0...UInt64.max)
        case let s?: return UInt64(s) ?? fixed
        case nil: return fixed
        }
    }()

    static let fixed: UInt64 = 0x7469_6465_6d61_726b

    /// A generator for one named fuzz target: a stable hash of the name mixed into the
    /// seed (String.hashValue differs from process to process).
    public static func generator(_ name: String) -> SplitMix {
        SplitMix(seed: value ^ name.utf8.reduce(UInt64(0xcbf2_9ce4_8422_2325)) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 })
    }
}

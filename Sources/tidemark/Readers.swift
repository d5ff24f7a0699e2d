import TidemarkCore

/// The coverage readers this build has.
enum Readers {
    static let resolver = CoverageResolver()
}

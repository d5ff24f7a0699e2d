import Foundation

/// Finds policies: `<dir>/<name>.toml` in each search directory, in order (as `DefinitionLibrary`).
public struct PolicyLibrary: Sendable {
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// An explicit directory, else `$TIDEMARK_POLICIES` (colon-separated), then `./policies`,
    /// `$XDG_CONFIG_HOME/tidemark/policies`, `<prefix>/share/tidemark/policies` and `/etc/tidemark/policies`.
    public static func standard(explicit: String?, environment: [String: String], currentDirectory: String, executable: String?) -> PolicyLibrary {
        PolicyLibrary(directories: SearchPath.directories(kind: "policies", variable: "TIDEMARK_POLICIES", explicit: explicit,
                                                          environment: environment, currentDirectory: currentDirectory,
                                                          executable: executable))
    }

    /// The file for a policy name such as `ustar-nightly` (or a path to a `.toml` file).
    public func file(for name: String) -> String? {
        if name.hasSuffix(".toml") && FileManager.default.fileExists(atPath: name) { return name }
        return SearchPath.file(named: name, in: directories)
    }

    /// Loads and parses a policy; nil when no file has that name.
    public func policy(named name: String, now: Instant) throws(DefinitionError) -> Policy? {
        guard let path = file(for: name) else { return nil }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DefinitionError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        let base = name.hasSuffix(".toml") ? String(URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent) : name
        return try Policy(file: path, text: text, defaultName: base, now: now)
    }

    /// Every policy named in the search path.
    public func policyNames() -> [String] { SearchPath.names(in: directories) }
}

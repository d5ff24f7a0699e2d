import Foundation

/// Finds policies: `<dir>/<name>.toml` in each search directory, in order (as `DefinitionLibrary`).
public struct PolicyLibrary: Sendable {
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// An explicit directory, else `$TIDEMARK_POLICIES` (colon-separated), then `./policies`,
    /// `$XDG_CONFIG_HOME/tidemark/policies`, `<prefix>/share/tidemark/policies` and `/etc/tidemark/policies`.
    public static func standard(explicit: String?, environment: [String: String], currentDirectory: String, executable: String?) -> PolicyLibrary {
        if let explicit { return PolicyLibrary(directories: [explicit]) }
        var dirs: [String] = []
        if let env = environment["TIDEMARK_POLICIES"], !env.isEmpty { dirs += env.split(separator: ":").map(String.init) }
        dirs.append(currentDirectory + "/policies")
        let config = environment["XDG_CONFIG_HOME"] ?? environment["HOME"].map { $0 + "/.config" }
        if let config { dirs.append(config + "/tidemark/policies") }
        if let executable {
            let prefix = URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent().path
            dirs.append(prefix + "/share/tidemark/policies")
        }
        dirs.append("/etc/tidemark/policies")
        return PolicyLibrary(directories: dirs)
    }

    /// The file for a policy name such as `ustar-nightly` (or a path to a `.toml` file).
    public func file(for name: String) -> String? {
        if name.hasSuffix(".toml") && FileManager.default.fileExists(atPath: name) { return name }
        guard !name.isEmpty, !name.split(separator: "/").contains("..") else { return nil }
        for dir in directories {
            let path = dir + "/" + name + ".toml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
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
}

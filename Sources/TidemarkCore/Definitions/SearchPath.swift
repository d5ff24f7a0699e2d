import Foundation

/// Where Tidemark looks for its TOML files of one kind (`catalogs`, `policies`): an explicit
/// directory, else `$VARIABLE` (colon-separated), then `./<kind>`, `$XDG_CONFIG_HOME/tidemark/<kind>`,
/// `<prefix>/share/tidemark/<kind>` beside the executable, and `/etc/tidemark/<kind>`.
enum SearchPath {
    static func directories(kind: String, variable: String, explicit: String?, environment: [String: String],
                            currentDirectory: String, executable: String?) -> [String] {
        if let explicit { return [explicit] }
        var dirs: [String] = []
        if let env = environment[variable], !env.isEmpty { dirs += env.split(separator: ":").map(String.init) }
        dirs.append(currentDirectory + "/" + kind)
        let config = environment["XDG_CONFIG_HOME"] ?? environment["HOME"].map { $0 + "/.config" }
        if let config { dirs.append(config + "/tidemark/" + kind) }
        if let executable {
            let prefix = URL(fileURLWithPath: executable).deletingLastPathComponent().deletingLastPathComponent().path
            dirs.append(prefix + "/share/tidemark/" + kind)
        }
        dirs.append("/etc/tidemark/" + kind)
        return dirs
    }

    /// The first `<dir>/<name>.toml` that exists; nil for names that climb out (`..`).
    static func file(named name: String, in directories: [String]) -> String? {
        guard !name.isEmpty, !name.split(separator: "/").contains("..") else { return nil }
        for dir in directories {
            let path = dir + "/" + name + ".toml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }

    /// The names of every `<name>.toml` under `directories` (subdirectories too: `site/ustar`),
    /// sorted, each once.
    static func names(in directories: [String]) -> [String] {
        var names: Set<String> = []
        for dir in directories {
            guard let e = FileManager.default.enumerator(atPath: dir) else { continue }
            while let rel = e.nextObject() as? String {
                if rel.hasSuffix(".toml") { names.insert(String(rel.dropLast(5))) }
            }
        }
        return names.sorted()
    }
}

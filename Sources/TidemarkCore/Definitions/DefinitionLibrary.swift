import Foundation

/// Finds context definitions: `<dir>/<context>.toml` in each search directory, in order.
public struct DefinitionLibrary: Sendable {
    public var directories: [String]

    public init(directories: [String]) { self.directories = directories }

    /// The search path: an explicit directory, else `$TIDEMARK_CATALOGS` (colon-separated),
    /// then `./catalogs`, `$XDG_CONFIG_HOME/tidemark/catalogs`, `<prefix>/share/tidemark/catalogs`
    /// beside the executable, and `/etc/tidemark/catalogs`.
    public static func standard(explicit: String?, environment: [String: String], currentDirectory: String, executable: String?) -> DefinitionLibrary {
        DefinitionLibrary(directories: SearchPath.directories(kind: "catalogs", variable: "TIDEMARK_CATALOGS", explicit: explicit,
                                                              environment: environment, currentDirectory: currentDirectory,
                                                              executable: executable))
    }

    /// The definition file for a context such as `perdigao/ustar`, or nil when none exists.
    public func file(for context: String) -> String? { SearchPath.file(named: context, in: directories) }

    public func definition(for context: String) throws(DefinitionError) -> ContextDefinition? {
        guard let path = file(for: context) else { return nil }
        return try Self.load(path: path, defaultName: context)
    }

    public static func load(path: String, defaultName: String) throws(DefinitionError) -> ContextDefinition {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw DefinitionError(file: path, message: "cannot read: \(error.localizedDescription)")
        }
        return try ContextDefinition(file: path, text: text, defaultName: defaultName)
    }

    /// Every context defined in the search path (the first definition of a name wins).
    public func contextNames() -> [String] { SearchPath.names(in: directories) }
}

extension ContextDefinition {
    /// Rules for a file seen without a context (`tidemark inspect`): the header its name
    /// suggests (or its first bytes), a time in the name in the common spellings, else the
    /// modification time.
    public static let generic: ContextDefinition = {
        let text = """
        context = "generic"
        description = "Any file: its FITS, netCDF or NIDAS header, a date and time in its name, else its modification time."

        [[rule]]
        match = [
          "*%Y%m%dT%H%M%S*", "*%Y%m%d_%H%M%S*", "*%Y%m%d-%H%M%S*", "*%Y%m%d.%H%M%S*",
          "*%Y-%m-%dT%H:%M:%S*", "*%Y-%m-%d_%H:%M:%S*", "*%Y-%m-%dT%H%M%S*",
          "*%Y%m%d_%H%M*", "*%Y%m%dT%H%M*", "*%Y%m%d_%H*", "*%Y-%m-%d*", "*%Y%m%d*",
        ]
        category = "other"
        time = ["header", "name", "mtime"]

        [[rule]]
        match = "*"
        category = "other"
        time = ["header", "mtime"]
        """
        return try! ContextDefinition(file: "<built-in generic rules>", text: text, defaultName: "generic")
    }()
}

/// Why a file could not be read as the header format its reader expects: truncated,
/// corrupt, or another format altogether. Carries the path, the step that failed and
/// the library's own message (cfitsio `ffgerr`, netCDF `nc_strerror`, bzip2, zlib).
public struct HeaderReadError: Error, Sendable, CustomStringConvertible {
    public enum Format: String, Sendable {
        case fits = "FITS", netcdf = "netCDF", nidas = "NIDAS"
    }

    public var path: PathBytes
    public var format: Format
    /// The step that failed, e.g. "open", "move to HDU 2", "read variable time".
    public var operation: String
    /// The library's message or our diagnosis, in words a person can act on.
    public var reason: String
    /// The library's status code when a library call failed.
    public var code: Int32?

    public init(_ format: Format, _ path: PathBytes, _ operation: String, _ reason: String, code: Int32? = nil) {
        self.format = format; self.path = path; self.operation = operation; self.reason = reason; self.code = code
    }

    public var description: String {
        var out = "\(path.displayPath): \(format.rawValue): \(operation): \(reason)"
        if let code { out += " (status \(code))" }
        return out
    }
}

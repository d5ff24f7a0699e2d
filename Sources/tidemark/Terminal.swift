import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output conventions: results on stdout (through `Output`), messages and progress on stderr.
enum Terminal {
    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func error(_ message: String) { toStderr("tidemark: error: \(message)\n") }

    static func note(_ message: String) { toStderr("tidemark: \(message)\n") }

    static func progress(_ line: String) { toStderr("\r\u{1B}[2K\(line)") }

    static func clearProgress() { toStderr("\r\u{1B}[2K") }

    /// A message that cannot be written (stderr on a full disk) is dropped: the exit status
    /// still tells.
    private static func toStderr(_ text: String) { _ = Output.writeAll(STDERR_FILENO, Array(text.utf8)) }
}

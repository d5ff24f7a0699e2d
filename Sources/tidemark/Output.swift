import Foundation
import TidemarkCore
#if canImport(Glibc)
import Glibc
#endif

/// The one way results reach stdout. Each result is written whole with write(2) and
/// checked: a full disk or a closed file gives an error exit (1) that says what the command
/// had already done and committed, never a trap (FileHandle) or a silent loss (buffered
/// `print` at exit).
enum Output {
    /// What a query says when its output is lost: it changed nothing.
    static let nothingChanged = "Nothing was changed; run the command again with its output going where there is room."

    /// Writes `text` and a newline. `done` says what the command did, and committed,
    /// before printing; nil for commands that change nothing.
    static func print(_ text: String, done: String? = nil) throws {
        try write(Array((text + "\n").utf8), done: done)
    }

    /// Writes `value` as pretty JSON (sorted keys, slashes unescaped) and a newline.
    static func json<T: Encodable>(_ value: T, done: String? = nil) throws {
        let data: Data
        do { data = try JSONText.encode(value, pretty: true) } catch { throw Failure.runtime("cannot encode the output as JSON: \(error)") }
        try write(Array(data) + [0x0a], done: done)
    }

    private static func write(_ bytes: [UInt8], done: String?) throws {
        if let errno = writeAll(STDOUT_FILENO, bytes) {
            throw Failure.runtime("could not write the output to standard output (\(String(cString: strerror(errno)))). "
                                  + (done ?? nothingChanged))
        }
    }

    /// Writes every byte to `fd`, through short writes and interruptions; the errno of a
    /// failure, else nil.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN { usleep(1000); continue }
                return errno
            }
            offset += n
        }
        return nil
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Writes one fuzz input to a per-process file in /dev/shm (the readers open paths, as the
/// scanner does) and returns that path.
func fuzzFile(_ data: UnsafeRawPointer, _ size: Int, suffix: String) -> PathBytes {
    let path = "/dev/shm/tidemark-fuzz-\(getpid())\(suffix)"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    if fd >= 0 {
        var done = 0
        while done < size {
            let n = write(fd, data + done, size - done)
            if n <= 0 { break }
            done += n
        }
        close(fd)
    }
    return Array(path.utf8)
}

/// Any error but HeaderReadError is a finding: the readers promise only that type.
func check(_ body: () throws -> CoverageReading) {
    do {
        let r = try body()
        if let c = r.coverage, c.start > c.end { fatalError("coverage ends before it starts: \(c)") }
    } catch is HeaderReadError {
    } catch {
        fatalError("unexpected error type \(type(of: error)): \(error)")
    }
}

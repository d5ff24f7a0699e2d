import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A running `tidemark serve` on a free loopback port; stopped with SIGTERM by `stop()`.
final class Served {
    let process: Process
    let port: Int
    let token: String?
    private let stderrFile: String

    /// Starts `tidemark serve --bind 127.0.0.1:0 ARGS` and waits for the port it prints.
    init(_ args: [String], token: String? = nil, environment: [String: String] = [:]) throws {
        let out = Pipe()
        stderrFile = temporaryDirectory("serve-log") + "/stderr"
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        process = tidemarkProcess(["serve", "--bind", "127.0.0.1:0"] + args + (token.map { ["--token", $0] } ?? []), environment: environment)
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: stderrFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.token = token
        // The first line says where it listens.
        var line = Data()
        let deadline = Date().addingTimeInterval(30)
        while !line.contains(0x0a) && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "http://127.0.0.1:"), let port = Int(text[r.upperBound...].prefix { $0.isNumber }) else {
            process.terminate()
            throw ServeTestError("tidemark serve did not say where it listens: \(text) \(String(decoding: FileManager.default.contents(atPath: stderrFile) ?? Data(), as: UTF8.self))")
        }
        self.port = port
    }

    /// What the server wrote on stderr so far (the access log).
    var log: String { String(decoding: FileManager.default.contents(atPath: stderrFile) ?? Data(), as: UTF8.self) }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }

    /// GET (or another method) of `target`, with the token when the server has one.
    func request(_ target: String, method: String = "GET", headers: [String: String] = [:]) throws -> HTTPAnswer {
        var h = headers
        if let token, h["Authorization"] == nil { h["Authorization"] = "Bearer \(token)" }
        return try httpRequest(port: port, target: target, method: method, headers: h)
    }

    /// The JSON of a 200 answer to GET `target`.
    func json(_ target: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> Any {
        let a = try request(target)
        #expect(a.status == 200, "\(target): \(a.status) \(a.text)", sourceLocation: sourceLocation)
        #expect(a.headers["content-type"] == "application/json", sourceLocation: sourceLocation)
        return try JSONSerialization.jsonObject(with: a.body, options: [.fragmentsAllowed])
    }
}

struct ServeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// An HTTP answer: status, headers (names lowercased) and body.
struct HTTPAnswer {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> Any { try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
}

/// A connected TCP socket to 127.0.0.1:`port`, with a receive timeout.
func loopbackSocket(port: Int, timeout: Int = 20) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw ServeTestError("socket: \(errno)") }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else { close(fd); throw ServeTestError("connect to port \(port): errno \(errno)") }
    return fd
}

/// One HTTP/1.1 request on a new connection (`Connection: close`), read to the end.
func httpRequest(port: Int, target: String, method: String = "GET", headers: [String: String] = [:]) throws -> HTTPAnswer {
    let fd = try loopbackSocket(port: port)
    defer { close(fd) }
    var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (k, v) in headers { text += "\(k): \(v)\r\n" }
    if method == "POST" || method == "PUT" { text += "Content-Length: 2\r\n\r\n{}" } else { text += "\r\n" }
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw ServeTestError("send failed") }
    var data = Data()
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = recv(fd, &buffer, buffer.count, 0)
        if n <= 0 { break }
        data.append(contentsOf: buffer[0..<n])
    }
    guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { throw ServeTestError("no HTTP answer: \(String(decoding: data, as: UTF8.self))") }
    let head = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(head[0].split(separator: " ")[1]) ?? 0
    var fields: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Data(data[split.upperBound...])
    if fields["transfer-encoding"] == "chunked" { body = unchunk(body) }
    return HTTPAnswer(status: status, headers: fields, body: body)
}

private func unchunk(_ data: Data) -> Data {
    var out = Data(), rest = data[...]
    while let eol = rest.range(of: Data("\r\n".utf8)) {
        guard let size = Int(String(decoding: rest[..<eol.lowerBound], as: UTF8.self), radix: 16), size > 0 else { break }
        out.append(rest[eol.upperBound..<(eol.upperBound + size)])
        rest = rest[(eol.upperBound + size + 2)...]
    }
    return out
}

/// Pretty-printed JSON without its layout: the whitespace outside strings taken out.
func compactJSON(_ text: String) -> [UInt8] {
    var out: [UInt8] = [], inString = false, escaped = false
    for b in text.utf8 {
        if inString {
            if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
        } else if b == UInt8(ascii: "\"") {
            inString = true
        } else if b == 0x20 || b == 0x0a || b == 0x09 || b == 0x0d {
            continue
        }
        out.append(b)
    }
    return out
}

/// Two JSON values equal as values (key order and number spelling aside).
func sameJSON(_ a: Any, _ b: Any) -> Bool {
    (a as? NSObject)?.isEqual(b as? NSObject) ?? false
}

/// `busyCatalog()` with copies (full and faulted) and requests (one faulted: its `merge`
/// files were aged off), so every list the server answers has rows.
func busyCatalogWithQueues() throws -> (db: String, trees: [TempTree]) {
    let (db, trees) = try busyCatalog()
    try addCopies(db)
    try addRequests(db, gone: "merge")
    return (db, trees)
}

/// Copies of a catalog's two ipp/ps1 minidvodb datasets: to host `local` on this machine
/// (full), and to host `broken`, whose destination is a file (fault, with rsync's message).
func addCopies(_ db: String) throws {
    let catalogs = packageRoot + "/catalogs"
    let dest = temporaryDirectory("serve-copies")
    try "not a directory".write(toFile: dest + "/file", atomically: true, encoding: .utf8)
    for args in [["host", "add", "local"], ["host", "add", "broken"],
                 ["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "local", "--path", dest],
                 ["copy", "queue", "--context", "ipp/ps1", "--category", "minidvodb", "--host", "broken", "--path", dest + "/file"],
                 ["copy", "resume", "run"], ["copy", "run", "--once", "--host", "local"], ["copy", "run", "--once", "--host", "broken"]] {
        let r = try tidemark(args + ["--db", db, "--catalogs", catalogs])
        #expect(r.status == 0 || args.contains("broken") && args[1] == "run", "\(args): \(r.status) \(r.stderr)")
    }
}

/// Requests for a morning of perdigao/ustar: one of raw/nidas (whose files are there) and one
/// of `gone` (whose files a policy run or a delete removed: a fault), resolved by `request run`.
func addRequests(_ db: String, gone: String) throws {
    let catalogs = packageRoot + "/catalogs"
    for args in [["request", "add", "--context", "perdigao/ustar", "--category", "raw/nidas", "--covers", "20170501T00,20170501T06", "--label", "nidas"],
                 ["request", "add", "--context", "perdigao/ustar", "--category", gone, "--covers", "20170501T00,20170501T06", "--label", "gone"],
                 ["request", "run"]] {
        let r = try tidemark(args + ["--db", db, "--catalogs", catalogs])
        #expect(r.status == 0 || r.status == 4, "\(args): \(r.status) \(r.stderr)")
    }
}

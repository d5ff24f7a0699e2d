import Foundation

/// Wall time and peak memory of a child process, as a user would see them.
struct Measured {
    var seconds: Double
    var maxRSSBytes: Int
    /// The exit status; 128 + the signal's number when a signal ended the child (as shells
    /// report it), so a crashed child never reads as success.
    var status: Int32
    /// The signal that ended the child, if one did.
    var signal: Int32? = nil
    var stdout: Data
    /// User plus system CPU time: over `seconds`, how many cores were busy.
    var cpuSeconds: Double = 0
    var coresBusy: Double { seconds > 0 ? cpuSeconds / seconds : 0 }
    /// The fastest and slowest of the runs `Measure.median` chose this one from.
    var range: ClosedRange<Double> = 0...0

    /// "exited with 3" or "killed by signal 11 (SIGSEGV, Segmentation fault)", for messages.
    var outcome: String {
        guard let signal else { return "exited with \(status)" }
        return "killed by signal \(signal) (\(ExitSignal.describe(signal)))"
    }
}

/// A child's end as `wait4` reports it.
enum ExitSignal {
    /// The exit status and, when a signal ended the child, the signal; a signal gives status
    /// 128 + its number, as shells report it.
    static func decode(waitStatus: Int32) -> (status: Int32, signal: Int32?) {
        let low = waitStatus & 0x7f
        // WIFEXITED: low bits 0; WIFSTOPPED: 0x7f (not with wait4 without WUNTRACED).
        if low == 0 { return ((waitStatus >> 8) & 0xff, nil) }
        return (128 + low, low)
    }

    /// "SIGSEGV, Segmentation fault".
    static func describe(_ signal: Int32) -> String {
        let names: [Int32: String] = [SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
                                      SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV",
                                      SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGXCPU: "SIGXCPU", SIGXFSZ: "SIGXFSZ"]
        let text = strsignal(signal).map { String(cString: $0) } ?? "unknown signal"
        return names[signal].map { "\($0), \(text)" } ?? text
    }
}

enum Measure {
    /// Runs `argv` (stdout to `outputFile`, else discarded), returning its wall time and
    /// peak RSS. Spawned and reaped here, so `wait4` sees the child's own resource usage.
    static func run(_ argv: [String], outputFile: String = "/dev/null") throws -> Measured {
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let start = DispatchTime.now()
        let rc = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard rc == 0 else { throw BenchError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let out = outputFile == "/dev/null" ? Data() : (FileManager.default.contents(atPath: outputFile) ?? Data())
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        let end = ExitSignal.decode(waitStatus: status)
        return Measured(seconds: seconds, maxRSSBytes: Int(usage.ru_maxrss) * 1024, status: end.status, signal: end.signal, stdout: out,
                        cpuSeconds: cpu)
    }

    /// Runs `argv` `times` times and keeps the run with the median wall time (its output
    /// in `outputFile`), with the range of all runs.
    static func median(_ times: Int, _ argv: [String], outputFile: String = "/dev/null",
                       before: () throws -> Void = {}) throws -> Measured {
        var runs: [Measured] = []
        for _ in 0..<times {
            try before()
            let m = try run(argv, outputFile: outputFile)
            guard m.status == 0 else { throw BenchError("\(argv.joined(separator: " ")) \(m.outcome)") }
            runs.append(m)
        }
        runs.sort { $0.seconds < $1.seconds }
        var median = runs[runs.count / 2]
        median.range = runs.first!.seconds...runs.last!.seconds
        return median
    }

    /// This process's user plus system CPU time so far, every thread.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How a run of the binary ended, for the fuzzer: its exit status, or the signal that
/// killed it, or that it outlived its time limit.
struct BoundedRun {
    var status: Int32?
    var signal: Int32?
    var timedOut: Bool
    var stderr: String
}

/// Runs `tidemark` with `posix_spawn` (thousands of runs in a row, without Foundation's
/// Process machinery), output to files, killed with SIGKILL past `timeLimit` seconds.
func tidemarkBounded(_ args: [String], timeLimit: Double, scratch: String) throws -> BoundedRun {
    let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

    var environment = ProcessInfo.processInfo.environment
    environment["TIDEMARK_DB"] = nil
    environment["TIDEMARK_CATALOGS"] = nil
    let argv = ([tidemarkBinary] + args).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { for p in argv + envp { free(p) } }

    var pid: pid_t = 0
    let rc = posix_spawn(&pid, tidemarkBinary, &actions, nil, argv, envp)
    guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }

    let deadline = Date().addingTimeInterval(timeLimit)
    var status: Int32 = 0
    var timedOut = false
    while waitpid(pid, &status, WNOHANG) == 0 {
        if Date() > deadline {
            timedOut = true
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            break
        }
        usleep(2000)
    }
    let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
    // WIFEXITED / WTERMSIG, which Swift does not import as macros.
    let signal = status & 0x7f
    return BoundedRun(status: signal == 0 ? (status >> 8) & 0xff : nil, signal: signal == 0 ? nil : signal, timedOut: timedOut, stderr: stderr)
}

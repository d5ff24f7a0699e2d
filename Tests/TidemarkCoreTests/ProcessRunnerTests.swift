import Foundation
import Testing
@testable import TidemarkCore

/// The process runner on real programs: exit statuses, signals, timeouts that kill the
/// whole process group (and SIGKILL a program that ignores SIGTERM), output kept exactly, the
/// tail of standard error, a program that does not exist.
@Suite struct ProcessRunnerTests {
    @Test func exitStatusAndTheTailOfStandardError() throws {
        let o = try ProcessRunner().run(["/bin/sh", "-c", "echo one >&2; echo two >&2; exit 3"])
        #expect(o.status == 3 && o.signal == nil && !o.timedOut && !o.succeeded)
        #expect(o.stderrTail == "one\ntwo\n")
        #expect(o.summary == "exit status 3")
    }

    @Test func argumentsReachTheProgramAsTheyAre() throws {
        let odd = "a b\n'c\"; $(rm -rf /)"
        let o = try ProcessRunner().run(["printf", "%s", odd])
        #expect(o.succeeded && o.stdout == Array(odd.utf8))
    }

    @Test func theProgramInheritsNoDescriptorButItsStandardOnes() throws {
        // A descriptor this process holds without close-on-exec (as a catalog or a socket might).
        let fd = open("/dev/null", O_RDONLY)
        defer { close(fd) }
        #expect(fd > 2 && fcntl(fd, F_GETFD) & FD_CLOEXEC == 0)
        let o = try ProcessRunner().run(["/bin/sh", "-c", "ls /proc/$$/fd"])
        let open = String(decoding: o.stdout, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
        #expect(o.succeeded && !open.contains(fd), "the program had \(open) open")
    }

    @Test func aSignalThatEndsTheProgramIsReported() throws {
        let o = try ProcessRunner().run(["/bin/sh", "-c", "kill -SEGV $$"])
        #expect(o.status == nil && o.signal == SIGSEGV && !o.timedOut)
        #expect(o.summary == "killed by signal \(SIGSEGV)")
    }

    @Test func aProgramPastItsTimeIsKilledWithItsChildren() throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("runner-\(UUID().uuidString)").path
        var runner = ProcessRunner(timeout: 0.3)
        runner.killGrace = 0.3
        // The grandchild would create the marker after 2 s if it outlived the timeout.
        let o = try runner.run(["/bin/sh", "-c", "(sleep 2; touch \(marker)) & sleep 30"])
        #expect(o.timedOut && o.signal == SIGTERM && o.seconds < 5, "\(o.summary) after \(o.seconds) s")
        Thread.sleep(forTimeInterval: 2.5)
        #expect(!FileManager.default.fileExists(atPath: marker), "a child of the timed-out program outlived it")
    }

    @Test func aProgramThatIgnoresSIGTERMIsKilled() throws {
        var runner = ProcessRunner(timeout: 0.3)
        runner.killGrace = 0.3
        let o = try runner.run(["/bin/sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"])
        #expect(o.timedOut && o.signal == SIGKILL && o.seconds < 5, "\(o.summary) after \(o.seconds) s")
        #expect(o.summary.hasSuffix("(timed out)"))
    }

    @Test func aProgramThatClosesItsOutputIsStillTimed() throws {
        var runner = ProcessRunner(timeout: 0.3)
        runner.killGrace = 0.3
        let o = try runner.run(["/bin/sh", "-c", "exec >&- 2>&-; sleep 30"])
        #expect(o.timedOut && o.seconds < 5, "\(o.summary) after \(o.seconds) s")
    }

    @Test func onlyTheTailOfALongStandardErrorIsKeptAndStandardOutputIsBounded() throws {
        var runner = ProcessRunner()
        runner.stdoutLimit = 1000
        runner.stderrTail = 100
        let o = try runner.run(["/bin/sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line $i >&2; echo out $i; i=$((i+1)); done; echo last >&2"])
        #expect(o.succeeded && o.stderrTail.count == 100 && o.stderrTail.hasSuffix("line 1999\nlast\n"), "\(o.stderrTail)")
        #expect(o.stdout.count == 1000 && o.stdoutTruncated)
    }

    @Test func aProgramThatDoesNotExistIsAnError() throws {
        #expect(throws: ProcessRunner.StartError.self) { try ProcessRunner().run(["/nonexistent/rsync"]) }
        do { _ = try ProcessRunner().run(["no-such-program-anywhere"]); Issue.record("started") } catch {
            #expect(error.description == "cannot run no-such-program-anywhere: no such program")
        }
    }

    @Test func standardInputIsEmpty() throws {
        let o = try ProcessRunner(timeout: 5).run(["cat"])
        #expect(o.succeeded && o.stdout.isEmpty && !o.timedOut)
    }

    /// A copy renews its lease from `tick`, and stops rsync when the lease is lost.
    @Test func tickIsCalledWhileTheProgramRunsAndItsFalseStopsIt() throws {
        var ticks = 0
        let o = try ProcessRunner(timeout: 30).run(["sleep", "20"]) {
            ticks += 1
            return ticks < 2
        }
        #expect(o.cancelled && !o.timedOut && o.status == nil && ticks == 2 && o.seconds < 10)
    }
}

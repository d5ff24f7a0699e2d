import Testing
@testable import TidemarkCore

/// The map from rsync's and ssh's endings to IPP fault codes, row by row as its table says;
/// the words that reach ssh and rsync quoted for the shell that reads them.
@Suite struct CopyFaultsTests {
    @Test(arguments: [
        (Int32(0), false, "", FaultCode?.none),
        (23, false, "rsync: link_stat failed: No such file or directory (2)", .data),
        (24, false, "file has vanished", .data),
        (30, false, "", .timeout), (35, false, "", .timeout),
        (20, true, "", .timeout),
        (255, false, "ssh: connect to host 127.0.0.2 port 22: Connection refused", .system),
        (5, false, "", .system), (10, false, "", .system), (12, false, "connection unexpectedly closed", .system),
        (11, false, "write failed on \"x\": No space left on device (28)", .system),
        (255, false, "Host key verification failed.", .configuration),
        (255, false, "root@127.0.0.2: Permission denied (publickey).", .configuration),
        (255, false, "/tmp/c line 1: Bad configuration option: nonsense", .configuration),
        (1, false, "", .configuration), (2, false, "", .configuration), (4, false, "", .configuration),
        (11, false, "error in file IO", .unknown), (20, false, "", .unknown),
    ])
    func exitCodesMapToFaults(_ status: Int32, _ timedOut: Bool, _ stderr: String, _ fault: FaultCode?) {
        #expect(CopyFaults.fault(status: status, timedOut: timedOut, stderr: stderr) == fault)
    }

    @Test func killedBySignalIsUnknown() {
        #expect(CopyFaults.fault(status: nil, timedOut: false, stderr: "") == .unknown)
    }

    @Test func remoteWordsAreQuotedForTheirShell() {
        let shell = RemoteShell(host: HostAddress(name: "h", user: "ipp", address: "127.0.0.2", port: 2222, identity: "/keys/my key"))!
        #expect(shell.argv(["df", "--", "/a b/it's\nx"]).suffix(3) == ["ipp@127.0.0.2", "--", "df -- '/a b/it'\\''s\nx'"])
        #expect(shell.rsyncShell.contains("-i '/keys/my key'") && shell.rsyncShell.contains("BatchMode=yes") && shell.rsyncShell.contains("-p 2222"))
        #expect(RemoteShell(host: HostAddress(name: "local")) == nil)
    }

    @Test func aDryRunThatWouldSendFilesIsNotVerified() {
        #expect(RsyncCommand.pending(Array(".d..t......\n".utf8)) == 0)
        #expect(RsyncCommand.pending(Array("<f+++++++++\n.d..t......\n>f.st......\n".utf8)) == 2)
        #expect(RsyncCommand.pending([]) == 0)
    }

    @Test func roomIsRefusedOverTheLimitOrWithoutSpace() {
        let s = DestinationSpace(used: 970, available: 30)
        #expect(s.refusal(adding: 1, margin: 0, maxUsed: 0.97) != nil)  // 97 % then 97.1 %
        #expect(DestinationSpace(used: 100, available: 900).refusal(adding: 800, margin: 200, maxUsed: 0.97)?.contains("no room") == true)
        #expect(DestinationSpace(used: 100, available: 900).refusal(adding: 500, margin: 100, maxUsed: 0.97) == nil)
    }
}

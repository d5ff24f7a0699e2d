import Foundation
import Testing
import TestSupport

/// Files Tidemark writes beside the catalog or at a path a user names are never followed
/// through a symbolic link and never replace a FIFO, a device or another user's file.
@Suite struct FilesBesideTheCatalogTests {
    /// A file whose content must survive, outside the catalog's directory.
    static func victim() -> String {
        let path = temporaryDirectory("victim") + "/precious"
        _ = FileManager.default.createFile(atPath: path, contents: Data("keep me\n".utf8))
        return path
    }

    static func content(_ path: String) -> String { String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self) }

    static func kind(_ path: String) -> mode_t {
        var st = stat()
        return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : 0
    }

    @Test func aSymlinkPlantedAsTheLockFileIsNotFollowed() throws {
        let s = try ScannedIsfs(days: 1)
        let victim = Self.victim()
        #expect(symlink(victim, s.db + ".lock") == 0)
        let r = try s.delete(["--categories", "merge", "--before", "2017-05-02", "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.content(victim) == "keep me\n")
    }

    @Test func aReadingRecordThatIsNotTidemarksOwnIsRefused() throws {
        let cam = try CameraArchive()
        let record = try #require(cam.readingRecord)
        let victim = Self.victim()
        try FileManager.default.removeItem(atPath: record)
        #expect(symlink(victim, record) == 0)
        let r = try cam.scan()
        #expect(r.status == 1, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains(record) && r.stderr.contains("symbolic link"), "\(r.stderr)")
        #expect(Self.content(victim) == "keep me\n")

        try FileManager.default.removeItem(atPath: record)
        #expect(mkfifo(record, 0o644) == 0)
        let fifo = try Started(cam.scanArguments).finish(timeout: 20)
        #expect(fifo.status == 1 && fifo.stderr.contains("not a regular file"), "\(fifo.status) \(fifo.stderr)")
        #expect(Self.kind(record) == S_IFIFO)

        if isRoot {
            try FileManager.default.removeItem(atPath: record)
            _ = FileManager.default.createFile(atPath: record, contents: Data("theirs".utf8))
            #expect(chown(record, 65534, 65534) == 0)
            let foreign = try cam.scan()
            #expect(foreign.status == 1 && foreign.stderr.contains("belongs to another user"), "\(foreign.stderr)")
            #expect(Self.content(record) == "theirs")
        }
        // Removed, as the message says, the record is made anew.
        try FileManager.default.removeItem(atPath: record)
        #expect(try cam.scan().status == 0)
        #expect(Self.kind(record) == S_IFREG)
    }

    /// SQLite itself refuses a link as its write-ahead log or shared-memory file, and
    /// unlinks a FIFO there, with "disk I/O error": the catalog names the file instead.
    @Test func sqliteCompanionFilesThatAreNotFilesAreNamed() throws {
        let cam = try CameraArchive()
        _ = try sql(cam.db, "PRAGMA wal_checkpoint(TRUNCATE)")  // the last connection to close removes -wal and -shm
        let victim = Self.victim()
        for suffix in ["-wal", "-shm", "-journal"] {
            #expect(symlink(victim, cam.db + suffix) == 0)
            let r = try cam.scan()
            #expect(r.status == 1 && r.stderr.contains(cam.db + suffix) && r.stderr.contains("symbolic link"), "\(r.stderr)")
            #expect(try tidemark(["find", "--db", cam.db]).status == 1)
            #expect(Self.content(victim) == "keep me\n")
            #expect(unlink(cam.db + suffix) == 0)
        }
        _ = try sql(cam.db, "PRAGMA wal_checkpoint(TRUNCATE)")
        #expect(mkfifo(cam.db + "-wal", 0o644) == 0)
        let r = try Started(cam.scanArguments).finish(timeout: 20)
        #expect(r.status == 1 && r.stderr.contains("not a regular file but a FIFO"), "\(r.stderr)")
        #expect(Self.kind(cam.db + "-wal") == S_IFIFO)
    }

    @Test func coverageDrawsOverRegularFilesOnly() throws {
        let s = try ScannedIsfs(days: 1)
        let dir = temporaryDirectory("pictures")
        let coverage = ["coverage", "--from", "2017-05-01", "--to", "2017-05-02", "--db", s.db]
        let victim = Self.victim()

        #expect(mkfifo(dir + "/fifo.svg", 0o644) == 0)
        #expect(symlink(victim, dir + "/link.svg") == 0 && symlink(victim, dir + "/link.png") == 0)
        try FileManager.default.createDirectory(atPath: dir + "/dir.svg", withIntermediateDirectories: false)
        for (option, name, kind) in [("--svg", "fifo.svg", S_IFIFO), ("--svg", "link.svg", S_IFLNK), ("--png", "link.png", S_IFLNK),
                                     ("--svg", "dir.svg", S_IFDIR)] {
            let r = try Started(coverage + [option, dir + "/" + name]).finish(timeout: 30)
            #expect(r.status == 1, "\(option) \(name): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(dir + "/" + name), "\(r.stderr)")
            #expect(Self.kind(dir + "/" + name) == kind, "\(name) was replaced")
        }
        #expect(Self.content(victim) == "keep me\n")

        // A regular file is replaced, keeping its mode.
        _ = FileManager.default.createFile(atPath: dir + "/old.svg", contents: Data("old".utf8), attributes: [.posixPermissions: 0o640])
        let r = try tidemark(coverage + ["--svg", dir + "/old.svg", "--png", dir + "/new.png"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.content(dir + "/old.svg").contains("<svg"))
        #expect((try FileManager.default.attributesOfItem(atPath: dir + "/old.svg")[.posixPermissions] as? Int) == 0o640)
        #expect(FileManager.default.contents(atPath: dir + "/new.png")?.starts(with: [0x89, 0x50, 0x4e, 0x47]) == true)
    }
}

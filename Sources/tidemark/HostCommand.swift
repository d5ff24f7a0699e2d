import ArgumentParser
import Foundation
import TidemarkCore

struct HostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Destination hosts of copies: add one, set it up, in repair or down, switch copies to it on or off, list them.",
        discussion: """
            A host is up (new copies go to it, and it is read), repair (read, no new copies) or \
            down (neither); copies to it are switched on or off apart from that. A host added \
            without --ssh is this machine (paths used directly).
            """,
        subcommands: [HostAdd.self, HostSet.self, HostOn.self, HostOff.self, HostList.self])
}

struct HostAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a destination host: up, with copies switched on.",
        discussion: "Exit status: 0 added, 1 could not run (the catalog cannot be written), 64 bad command line (a bad name or address, a host of that name exists).")

    @Argument(help: "The host's name in Tidemark (letters, digits, '.', '_', '-').") var name: String
    @Option(help: ArgumentHelp("Reach it over ssh at this address, as this user.", valueName: "[USER@]ADDRESS")) var ssh: String?
    @Option(help: "The ssh port (1-65535).") var port: Int?
    @Option(help: ArgumentHelp("The ssh identity (private key) file.", valueName: "FILE")) var identity: String?
    @OptionGroup var catalog: CatalogOptions

    func validate() throws {
        guard HostNames.isValid(name) else {
            throw ValidationError("'\(name)' is not a host name: use letters, digits, '.', '_' and '-', starting with a letter or digit (at most 64)")
        }
        if let ssh { _ = try HostNames.sshAddress(ssh) }
        if let port, !(1...65535).contains(port) { throw ValidationError("--port \(port): a port is 1 to 65535") }
        if ssh == nil && (port != nil || identity != nil) {
            throw ValidationError("--port and --identity are for a host reached over ssh: give its address with --ssh [USER@]ADDRESS")
        }
    }

    func run() throws {
        try exitReporting {
            let (user, address) = try ssh.map(HostNames.sshAddress) ?? (nil, nil)
            let identityPath = try identity.map(HostNames.identityFile)
            let host = HostAddress(name: name, user: user, address: address, port: port, identity: identityPath)
            let store = try catalog.openDatasetStore(write: true, create: true)
            guard try runtime({ try store.addHost(host, at: currentInstant) }) else {
                throw Failure.usage("a host named '\(name)' exists already; `tidemark host list` shows it (change it with host set, on or off, or pick another name)")
            }
            try Output.print("Added host \(name) (\(host.sshDestination.map { "ssh \($0)" } ?? "this machine")): up, copies on.",
                             done: "Host \(name) was added to the catalog.")
        }
    }
}

struct HostSet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a host up (allocate and read), repair (read, no new copies) or down (neither).",
        discussion: "Exit status: 0 set, 1 could not run, 64 bad command line (no such host, not a state).")

    @Argument(help: "The host.") var name: String
    @Argument(help: "up, repair or down.") var state: HostState
    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try exitReporting {
            try changeHost(catalog, name, "is now \(state.rawValue)") { try $0.setHostState(name, state, at: currentInstant) }
        }
    }
}

struct HostOn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "on", abstract: "Switch copies to a host on.",
        discussion: "Exit status: 0 switched, 1 could not run, 64 bad command line (no such host).")

    @Argument(help: "The host.") var name: String
    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try exitReporting { try changeHost(catalog, name, "has copies switched on") { try $0.setHostEnabled(name, true, at: currentInstant) } }
    }
}

struct HostOff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "off", abstract: "Switch copies to a host off (its copies are kept).",
        discussion: "Exit status: 0 switched, 1 could not run, 64 bad command line (no such host).")

    @Argument(help: "The host.") var name: String
    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        try exitReporting { try changeHost(catalog, name, "has copies switched off") { try $0.setHostEnabled(name, false, at: currentInstant) } }
    }
}

struct HostList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Every host: its address, state, whether copies to it are on, and its copies.",
        discussion: "Exit status: 0 listed, 1 could not run (no catalog), 64 bad command line.")

    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try exitReporting {
            let store = try catalog.openCopyStore(write: false)
            let hosts = try runtime { try store.hosts() }
            let copies = try runtime { try store.copies(CopyFilter()) }.reduce(into: [String: Int]()) { $0[$1.host, default: 0] += 1 }
            if output.json {
                try Output.json(hosts.map { HostListing($0, copies: copies[$0.host.name] ?? 0) })
                return
            }
            try Output.print(Format.table(["HOST", "ADDRESS", "PORT", "STATE", "COPIES ON", "COPIES", "SINCE"], hosts.map { h in
                [h.host.name, h.host.sshDestination ?? "(this machine)", h.host.port.map(String.init) ?? "-", h.state.rawValue,
                 h.enabled ? "on" : "off", String(copies[h.host.name] ?? 0), Format.time(h.changed)]
            }, rightAligned: [2, 5]))
        }
    }
}

extension HostState: ExpressibleByArgument {}

/// Changes host `name` through `change` (false: no such host, a usage error), saying `what` of it.
private func changeHost(_ catalog: CatalogOptions, _ name: String, _ what: String, _ change: (any HostStore) throws -> Bool) throws {
    let store = try catalog.openDatasetStore(write: true)
    guard try runtime({ try change(store) }) else {
        throw Failure.usage("the catalog has no host '\(name)'; `tidemark host list` shows them, `tidemark host add` adds one")
    }
    try Output.print("Host \(name) \(what).", done: "Host \(name) \(what) in the catalog.")
}

/// Checks of what `host add` is given: names and addresses that go on ssh's and rsync's
/// command lines, so never an option (a leading '-'), a space or a control character.
enum HostNames {
    static func isValid(_ name: String) -> Bool {
        name.count <= 64 && name.first.map { $0.isASCII && ($0.isLetter || $0.isNumber) } == true
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// `[USER@]ADDRESS` split; the address a host name or an IPv4 or IPv6 address (IPv6
    /// brackets dropped).
    static func sshAddress(_ text: String) throws -> (user: String?, address: String) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts.count == 2 ? parts[0] : nil
        var address = parts.last!
        if address.hasPrefix("[") && address.hasSuffix("]") && address.count > 2 { address = String(address.dropFirst().dropLast()) }
        let userOK = user.map { u in
            !u.isEmpty && u.first != "-" && u.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        } ?? true
        let addressOK = address.first.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ":") } == true
            && address.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".:-".contains($0)) }
        guard userOK && addressOK && !address.contains("@") else {
            throw ValidationError("--ssh '\(text)' is not [USER@]ADDRESS: the address is a host name or an IP address, the user a login name "
                                  + "(letters, digits, '.', '_', '-'; no spaces, and neither may start with '-')")
        }
        return (user, address)
    }

    /// The identity file as an absolute path; it must be a regular file this user can read.
    static func identityFile(_ path: String) throws -> String {
        let abs = absolutePath(path)
        var st = stat()
        guard stat(abs, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(abs, R_OK) == 0 else {
            throw Failure.usage("--identity \(path): not a readable file; give the ssh private key that reaches the host")
        }
        return abs
    }
}

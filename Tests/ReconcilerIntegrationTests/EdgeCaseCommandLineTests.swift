import Foundation
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Refusals that need no container, end to end through the built binary: plain transports and tokens,
/// one reconciler per work tree, the state's modes, Compose files linked out of the repository, and strict
/// configuration files.
@Suite(.serialized)
struct EdgeCaseCommandLineTests {
    /// A homelab whose only unit is the system, switched by a stand-in; cloned for deploying.
    private func systemOnly(switchScript: String? = nil) throws -> Homelab {
        let homelab = try Homelab()
        let config = """
            { "system": { "switch": ["\(switchScript ?? homelab.switchScript)"] } }

            """
        try homelab.commit(
            ["reconciler.json": config, "nixos/configuration.nix": "{ ... }: { }\n"],
            message: "initial"
        )
        try homelab.cloneDeploy()
        return homelab
    }

    private func hostConfig(_ json: String, _ homelab: Homelab) throws {
        try json.write(toFile: homelab.dir.appending("host-config.json"), atomically: true, encoding: .utf8)
    }

    @Test func plainTransportsAreRefusedUnlessAllowedAndATokenNeverGoesOverHTTP() throws {
        let homelab = try systemOnly()
        defer { homelab.dir.remove() }
        let server = try RequestRecorder()
        defer { server.stop() }
        func setRemote(_ url: String) throws {
            try homelab.git(["remote", "set-url", "origin", url], in: homelab.deploy)
        }

        for url in ["http://127.0.0.1:\(server.port)/homelab.git", "git://127.0.0.1:\(server.port)/homelab.git"] {
            try setRemote(url)
            let refused = try ReconcilerBinary.run(["sync"], homelab: homelab)
            #expect(refused.status == 1, "\(url): \(refused.output)")
            #expect(refused.stderr.contains("\"allowInsecureTransport\": true"), "says how: \(refused.output)")
            #expect(server.requests.isEmpty, "nothing was sent to \(url)")
        }

        // Allowed in the host file: the fetch goes out (and fails on the server's 401), without credentials.
        try setRemote("http://127.0.0.1:\(server.port)/homelab.git")
        try hostConfig(#"{ "allowInsecureTransport": true }"#, homelab)
        let allowed = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(allowed.status == 1, "\(allowed.output)")
        #expect(allowed.stderr.contains("cannot fetch main"), "\(allowed.output)")
        let asked = server.requests
        #expect(!asked.isEmpty, "the fetch reached the server")
        #expect(!asked.contains { $0.lowercased().contains("authorization:") }, "\(asked)")

        // A token over plain http: refused even with allowInsecureTransport, before anything is sent.
        let token = "tok-\(homelab.tag)-never-on-the-wire"
        let tokenFile = homelab.dir.appending("token")
        try token.write(toFile: tokenFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        try hostConfig(#"{ "allowInsecureTransport": true, "auth": { "tokenFile": "\#(tokenFile)" } }"#, homelab)
        let withToken = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(withToken.status == 1, "\(withToken.output)")
        #expect(withToken.stderr.contains("a token is never sent over plain http"), "\(withToken.output)")
        #expect(server.requests.count == asked.count, "no request with a token configured")
        #expect(!withToken.output.contains(token))
        #expect(homelab.switchCalls().isEmpty, "nothing deployed")
    }

    @Test func twoStateDirectoriesOnOneWorkTreeCannotBothDeploy() throws {
        let gate = try TemporaryDirectory(prefix: "switch-gate")
        defer { gate.remove() }
        let (started, release, calls) = (gate.appending("started"), gate.appending("release"), gate.appending("calls"))
        let script = gate.appending("switch.sh")
        try """
        #!/bin/sh
        echo "$$" >> '\(calls)'
        touch '\(started)'
        while [ ! -e '\(release)' ]; do sleep 0.1; done
        """.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        let homelab = try systemOnly(switchScript: script)
        defer { homelab.dir.remove() }
        let environment = ["RECONCILER_HOST_CONFIG": homelab.dir.appending("host-config.json")]
        func sync(stateDir: String) -> [String] {
            [ReconcilerBinary.path, "sync", "--repo", homelab.deploy, "--state-dir", stateDir]
        }

        let first = try SpawnedProcess(sync(stateDir: homelab.dir.appending("state-a")), environment: environment)
        defer {
            try? "".write(toFile: release, atomically: true, encoding: .utf8)
            _ = first.wait()
        }
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: started), Date() < deadline, first.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(FileManager.default.fileExists(atPath: started), "the first sync reached its switch")

        let second = try Command.run(sync(stateDir: homelab.dir.appending("state-b")), environment: environment)
        #expect(second.status == 4, "\(second.output)")
        #expect(second.stderr.contains("\(homelab.deploy)/.git/reconciler.lock"), "names the lock: \(second.output)")
        #expect(second.stderr.contains("pid \(first.pid)"), "names the holder: \(second.output)")

        try "".write(toFile: release, atomically: true, encoding: .utf8)
        #expect(first.wait() == 0)
        let switches = try String(contentsOfFile: calls, encoding: .utf8).split(separator: "\n")
        #expect(switches.count == 1, "one switch ran: \(switches)")
    }

    @Test func theStateIsNarrowedToTheOwnerEvenWhenItExistedWithWiderModes() throws {
        let homelab = try systemOnly()
        defer { homelab.dir.remove() }
        let state = homelab.stateDir
        let files = ["\(state)/state.sqlite", "\(state)/reconciler.lock", "\(homelab.deploy)/.git/reconciler.lock"]
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: state)
        for file in files {
            FileManager.default.createFile(atPath: file, contents: nil)
            try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file)
        }
        let resume = try ReconcilerBinary.run(["resume"], homelab: homelab)
        #expect(resume.status == 0, "\(resume.output)")
        func mode(_ path: String) throws -> Int {
            try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        }
        #expect(try mode(state) == 0o700)
        for file in files { #expect(try mode(file) == 0o600, "\(file)") }

        // A read-only command narrows them too.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: state)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files[0])
        #expect(try ReconcilerBinary.run(["status"], homelab: homelab).status == 0)
        #expect(try mode(state) == 0o700)
        #expect(try mode(files[0]) == 0o600)
    }

    @Test func aComposeFileLinkedOutOfTheRepositoryIsRefused() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        let outside = homelab.dir.appending("outside")
        try GitFixture.write(Homelab.service(version: "1"), to: "compose.yml", in: outside)
        try homelab.commit(["reconciler.json": homelab.config()], message: "initial")
        try homelab.cloneDeploy()
        func commitLinks(_ links: [String: String?], message: String) throws -> String {
            for (path, target) in links {
                let full = "\(homelab.author)/\(path)"
                try? FileManager.default.removeItem(atPath: full)
                guard let target else { continue }
                try FileManager.default.createDirectory(
                    atPath: (full as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
                try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
            }
            return try homelab.commit([:], message: message)
        }

        let direct = try commitLinks(["services/out/compose.yml": "\(outside)/compose.yml"], message: "link out")
        let refused = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("services/out/compose.yml"), "names the file: \(refused.output)")
        #expect(refused.stderr.contains(direct.prefix(12)), "\(refused.output)")

        // Through a directory that is itself a link out: the link stays inside the tree, its target does not.
        let viaDirectory = try commitLinks(
            [
                "services/out/compose.yml": nil,
                "services/shared": outside,
                "services/web/compose.yml": "../shared/compose.yml",
            ],
            message: "link through a linked directory"
        )
        let alsoRefused = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(alsoRefused.status == 1, "\(alsoRefused.output)")
        #expect(alsoRefused.stderr.contains("services/web/compose.yml"), "names the file: \(alsoRefused.output)")
        #expect(alsoRefused.stderr.contains(viaDirectory.prefix(12)), "\(alsoRefused.output)")
        let history = try decodeJSONArray(ReconcilerBinary.run(["history", "--json"], homelab: homelab).stdout)
        #expect(!history.contains { $0["result"] as? String == "succeeded" }, "nothing deployed: \(history)")
        #expect(
            try homelab.git(["rev-parse", "HEAD"], in: homelab.deploy) != viaDirectory,
            "never checked out"
        )
    }

    @Test func duplicateKeysAndDurationsOverADayAreErrorsNamingTheKey() throws {
        let homelab = try systemOnly()
        defer { homelab.dir.remove() }
        let script = homelab.switchScript
        let duplicate = try homelab.commit(
            [
                "reconciler.json":
                    #"{ "system": { "switch": ["\#(script)"] }, "branch": "main", "branch": "other" }"#
            ],
            message: "a key twice"
        )
        let twice = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(twice.status == 1, "\(twice.output)")
        #expect(twice.stderr.contains("branch"), "names the key: \(twice.output)")
        #expect(twice.stderr.contains("branch: appears twice"), "\(twice.output)")
        #expect(twice.stderr.contains(duplicate.prefix(12)), "\(twice.output)")

        try homelab.commit(
            [
                "reconciler.json":
                    #"{ "system": { "switch": ["\#(script)"] }, "services": { "healthTimeout": "25h" } }"#
            ],
            message: "a health timeout of more than a day"
        )
        let long = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(long.status == 1, "\(long.output)")
        #expect(long.stderr.contains("healthTimeout"), "names the key: \(long.output)")
        #expect(long.stderr.contains("longer than the most allowed, 24h"), "says the bound: \(long.output)")
        #expect(homelab.switchCalls().isEmpty, "nothing deployed")

        // The same rules for the host file, checked by every command that reads it.
        try hostConfig(#"{ "pollInterval": "2d" }"#, homelab)
        let host = try ReconcilerBinary.run(["validate"], homelab: homelab)
        #expect(host.status == 1, "\(host.output)")
        #expect(host.stderr.contains("pollInterval"), "\(host.output)")
    }
}

extension EdgeCaseCommandLineTests {
    /// `validate` names a committed `.env` once (the `.env` audit, with its unit), and still runs every other check.
    @Test func validateReportsATrackedEnvOnceAndStillRunsTheOtherChecks() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                "services/web/.env": "WEB_PASSWORD=committed-by-mistake\n",
                "services/web/compose.yml": Homelab.service(version: "1"),
                "services/api/compose.yml": "services:\n  app:\n    image: \(DockerRig.testImage)\n    bogus_key: 1\n",
            ],
            message: "a committed .env and a broken Compose file"
        )
        try homelab.cloneDeploy()
        let validate = try ReconcilerBinary.run(["validate"], homelab: homelab)
        #expect(validate.status == 1, "\(validate.output)")
        // Once: not again as the commit's "tracks .env files" (its mode, 0644 as git checked it out, is another finding).
        let mentions = validate.stderr.components(separatedBy: "tracked by git").count - 1
        #expect(mentions == 1, "reported once: \(validate.output)")
        #expect(!validate.stderr.contains("tracks .env files"), "\(validate.output)")
        #expect(validate.stderr.contains("web: services/web/.env is tracked by git"), "\(validate.output)")
        #expect(validate.stderr.contains("api: services/api/compose.yml is not valid"), "\(validate.output)")
        #expect(!validate.output.contains("committed-by-mistake"), "values are never printed")
    }
}

/// A loopback HTTP server that records each request's head and answers 401 asking for Basic credentials, as a Git
/// server does before it sees a token.
final class RequestRecorder: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var heads: [String] = []
    private var stopped = false

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = fd
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else { throw DaemonTestError("recorder: cannot listen") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in serve() }.start()
    }

    var requests: [String] { lock.withLock { heads } }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            var data = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 16384)
            var tv = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            while data.firstRange(of: [13, 10, 13, 10]) == nil {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                data += buffer[0..<n]
            }
            let head = String(decoding: data, as: UTF8.self)
            lock.withLock { heads.append(head) }
            let reply =
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n"
            _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        if first {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}

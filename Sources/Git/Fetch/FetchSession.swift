import CLibGit2
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One fetch's state as libgit2's callbacks and the socket stream see it: the deadline, the credentials to offer,
/// how often they were asked for, and the first failure a callback decided on (libgit2 would otherwise report a
/// generic "callback returned -1").
final class FetchSession: Sendable {
    /// The remote as the caller named it (a remote name or a URL).
    let remote: String
    let location: RemoteLocation
    let credentials: Credentials
    let timeout: Duration
    let deadline: ContinuousClock.Instant

    private struct State {
        var timedOut = false
        var sockets: Set<Int32> = []
        var failure: GitError?
        var sshAttempts = 0
        var tokenAttempts = 0
        var credentialCalls = 0
    }

    private let state = Mutex(State())

    init(remote: String, url: String, credentials: Credentials, timeout: Duration) {
        self.remote = remote
        self.location = RemoteLocation(url)
        self.credentials = credentials
        self.timeout = timeout
        self.deadline = ContinuousClock.now.advanced(by: timeout)
    }

    /// How the remote is named in messages: `origin (ssh://…)` or the URL.
    var name: String {
        // A URL (perhaps with a password) is shown as its display form only; a remote name with its URL.
        RemoteLocation.looksLikeURL(remote) || remote == location.display
            ? location.display : "\(remote) (\(location.display))"
    }

    // MARK: Deadline

    var timedOut: Bool { state.withLock { $0.timedOut } }
    var failure: GitError? { state.withLock { $0.failure } }

    var remainingMilliseconds: Int64 {
        let left = ContinuousClock.now.duration(to: deadline)
        if left <= .zero { return 0 }
        let (seconds, attoseconds) = left.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// False, with libgit2's error set, once the deadline has passed: callbacks return -1 then.
    func checkDeadline() -> Bool {
        if ContinuousClock.now < deadline && !timedOut { return true }
        markTimedOut()
        setLibgit2Error(GIT_ERROR_NET, "fetch from \(location.display) timed out")
        return false
    }

    func markTimedOut() {
        state.withLock { $0.timedOut = true }
    }

    /// The watchdog: at the deadline, shut down every socket of this fetch so that whatever is blocked on one
    /// (libgit2's reads, libssh2's poll) returns at once.
    func expire() {
        state.withLock { state in
            state.timedOut = true
            for fd in state.sockets { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Adds a connected socket; false when the deadline has already passed.
    func register(_ fd: Int32) -> Bool {
        state.withLock { state in
            guard !state.timedOut else { return false }
            state.sockets.insert(fd)
            return true
        }
    }

    func unregister(_ fd: Int32) {
        _ = state.withLock { $0.sockets.remove(fd) }
    }

    /// Runs `body` (the libgit2 calls of this fetch) on this thread with the session findable by the socket
    /// stream and a watchdog armed for the deadline.
    func run<T>(_ body: () throws -> T) throws -> T {
        let watchdog = DispatchWorkItem { [self] in expire() }
        let (seconds, attoseconds) = max(timeout, .zero).components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let delay: DispatchTimeInterval =
            nanoseconds.overflow || seconds > Int64(Int32.max)
            ? .never : .nanoseconds(Int(nanoseconds.partialValue + attoseconds / 1_000_000_000))
        if delay != .never {
            DispatchQueue.global().asyncAfter(deadline: .now() + delay, execute: watchdog)
        }
        FetchRegistry.set(self)
        defer {
            FetchRegistry.set(nil)
            watchdog.cancel()
        }
        return try body()
    }

    // MARK: Failures

    /// Records `error` as the reason of the failure (the first one wins), sets it as libgit2's error too, and
    /// returns the value for the callback to return.
    @discardableResult
    func fail(_ error: GitError) -> Int32 {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
        setLibgit2Error(GIT_ERROR_CALLBACK, error.message)
        return GIT_EUSER.rawValue
    }

    /// The error for a failed libgit2 call of this fetch. Reads libgit2's error at once (it is thread-local), then
    /// prefers what a callback decided (auth, host key) and the deadline over libgit2's own words.
    func error(_ call: String, _ rc: Int32) -> GitError {
        let underlying = GitError.libgit2(call, rc, context: location.display)
        if let failure { return failure }
        if timedOut {
            return GitError(
                code: .timeout,
                call: call,
                errorClass: underlying.errorClass,
                message: "fetch from \(name) did not finish within \(timeout.formattedSeconds); "
                    + "check that the host is reachable and answering (\(underlying.message))",
                context: location.display,
                cause: "the fetch did not finish within \(timeout.formattedSeconds); "
                    + "check that the host is reachable and answering"
            )
        }
        var code = underlying.code
        let lower = underlying.message.lowercased()
        if lower.contains("could not find repository") || lower.contains("does not appear to be a git repository")
            || lower.contains("repository not found") || lower.contains("no such file or directory")
            || rc == GIT_ENOTFOUND.rawValue
        {
            code = .notFound
        } else if lower.contains("status code: 404") {
            code = .notFound
        } else if lower.contains("status code: 401") || lower.contains("status code: 403") {
            code = .auth
        } else if code == .other, location.transport != .local {
            code = .network
        }
        let what: String
        let cause: String
        switch code {
        case .notFound: (what, cause) = ("no repository at \(name)", "no repository there")
        case .auth: (what, cause) = ("authentication to \(name) failed", "authentication failed")
        case .certificate: (what, cause) = ("the certificate of \(name) was not accepted", "certificate not accepted")
        case .network: (what, cause) = ("cannot fetch from \(name)", "")
        default: (what, cause) = ("fetch from \(name) failed", "")
        }
        return GitError(
            code: code,
            call: call,
            errorClass: underlying.errorClass,
            message: "\(what): \(underlying.message)",
            context: location.display,
            cause: cause.isEmpty ? underlying.message : "\(cause): \(underlying.message)"
        )
    }

    // MARK: Callbacks

    /// libgit2's credentials callback. It is called again after each rejection, forever, so it gives up once
    /// each configured method (key file, agent, token) has been tried once.
    func acquireCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        usernameFromURL: String?,
        allowed: UInt32
    ) -> Int32 {
        guard checkDeadline() else { return -1 }
        let calls = state.withLock { state -> Int in
            state.credentialCalls += 1
            return state.credentialCalls
        }
        if calls > 6 {
            return fail(authError("\(name) kept asking for credentials; every one offered was rejected"))
        }
        let user = usernameFromURL ?? location.user ?? "git"

        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            return sshCredential(out, user: user)
        }
        if allowed & GIT_CREDENTIAL_USERNAME.rawValue != 0 {
            return check(git_credential_username_new(out, user), "git_credential_username_new")
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 {
            return tokenCredential(out)
        }
        return fail(
            authError(
                "\(name) asks for a kind of authentication the reconciler cannot give (libgit2 credential types "
                    + "0x\(String(allowed, radix: 16))); use an ssh key or an https token"
            )
        )
    }

    private enum SSHMethod {
        case keyFile(String)
        case agent

        var description: String {
            switch self {
            case .keyFile(let path): "the key \(path)"
            case .agent: "the keys of the ssh-agent"
            }
        }
    }

    private func sshCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        user: String
    )
        -> Int32
    {
        var methods: [SSHMethod] = []
        if let key = credentials.sshPrivateKey { methods.append(.keyFile(key)) }
        if credentials.useSSHAgent, let socket = ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"], !socket.isEmpty {
            methods.append(.agent)
        }
        guard !methods.isEmpty else {
            return fail(
                authError(
                    "\(name) needs an ssh key: configure a private key file, or run an ssh-agent (SSH_AUTH_SOCK)"
                )
            )
        }
        let attempt = state.withLock { state -> Int in
            state.sshAttempts += 1
            return state.sshAttempts
        }
        guard attempt <= methods.count else {
            let tried = methods.map(\.description).joined(separator: " and ")
            return fail(
                authError(
                    "\(name) rejected \(tried) for user '\(user)'; add the public key to the server "
                        + "(the user's authorized_keys, or the repository's deploy keys)"
                )
            )
        }
        switch methods[attempt - 1] {
        case .keyFile(let path):
            guard FileManager.default.isReadableFile(atPath: path) else {
                return fail(authError("the ssh private key \(path) for \(name) does not exist or is not readable"))
            }
            var publicKey = credentials.sshPublicKey
            if publicKey == nil, FileManager.default.isReadableFile(atPath: path + ".pub") {
                publicKey = path + ".pub"
            }
            return check(
                git_credential_ssh_key_new(out, user, publicKey, path, credentials.sshPassphrase),
                "git_credential_ssh_key_new"
            )
        case .agent:
            return check(git_credential_ssh_key_from_agent(out, user), "git_credential_ssh_key_from_agent")
        }
    }

    private func tokenCredential(_ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>) -> Int32 {
        guard let file = credentials.tokenFile else {
            return fail(authError("\(name) asks for credentials; configure a token file for https remotes"))
        }
        // Plain http would send the token readable by anyone on the path: never, whatever the configuration says.
        guard location.transport != .http else {
            return fail(
                authError(
                    "refusing to send the token from \(file) to \(name) over plain http; use an https:// URL"
                )
            )
        }
        let attempt = state.withLock { state -> Int in
            state.tokenAttempts += 1
            return state.tokenAttempts
        }
        guard attempt == 1 else {
            return fail(
                authError(
                    "\(name) rejected the token from \(file) (user '\(credentials.tokenUser)'); check that it is "
                        + "valid, not expired, and allowed to read the repository"
                )
            )
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return fail(authError("the token file \(file) for \(name) does not exist or is not readable"))
        }
        let token =
            String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else {
            return fail(authError("the token file \(file) for \(name) is empty"))
        }
        return check(
            git_credential_userpass_plaintext_new(out, credentials.tokenUser, token),
            "git_credential_userpass_plaintext_new"
        )
    }

    private func check(_ rc: Int32, _ call: String) -> Int32 {
        if rc < 0 { return fail(GitError.libgit2(call, rc, code: .auth, context: location.display)) }
        return rc
    }

    private func authError(_ message: String) -> GitError {
        GitError(code: .auth, call: "credentials callback", message: message, context: location.display)
    }

    /// libgit2's certificate callback: ssh host keys are checked against `known_hosts`; for TLS, libgit2's own
    /// verdict (the system's CA store) stands.
    func checkCertificate(_ cert: UnsafeMutablePointer<git_cert>, valid: Bool, host: String) -> Int32 {
        guard checkDeadline() else { return -1 }
        guard cert.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            return valid ? 0 : GIT_PASSTHROUGH.rawValue
        }
        let hostkey = UnsafeMutableRawPointer(cert).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        let port = location.port ?? 22
        let file = credentials.knownHostsFile ?? defaultKnownHostsFile
        let addCommand = "ssh-keyscan -p \(port) \(host) >> \(file)"
        guard hostkey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostkey.hostkey,
            hostkey.hostkey_len > 0
        else {
            return fail(certificateError("libssh2 did not hand over the ssh host key of \(host); cannot verify it"))
        }
        let key = [UInt8](UnsafeRawBufferPointer(start: raw, count: hostkey.hostkey_len))
        let offered = "\(KnownHosts.keyType(ofBlob: key)) \(fingerprint(hostkey))"
        let knownHosts: KnownHosts?
        do {
            knownHosts = try KnownHosts.load(file)
        } catch {
            return fail(certificateError("cannot read \(file) to check the ssh host key of \(host): \(error)"))
        }
        guard let knownHosts else {
            return fail(
                certificateError(
                    "cannot check the ssh host key of \(host) (port \(port)): \(file) does not exist; "
                        + "if you trust the host (it offers \(offered)), add it: \(addCommand)"
                )
            )
        }
        switch knownHosts.verify(host: host, port: port, key: key) {
        case .match:
            return 0
        case .unknown:
            return fail(
                certificateError(
                    "the ssh host key of \(host) (port \(port)) is not in \(file); if you trust the host "
                        + "(it offers \(offered)), add it: \(addCommand)"
                )
            )
        case .otherTypes(let types):
            return fail(
                certificateError(
                    "\(file) has \(types.joined(separator: ", ")) keys for \(host) (port \(port)) but the server "
                        + "offers \(offered); if you trust it, add it: \(addCommand)"
                )
            )
        case .changed:
            let name = KnownHosts.lookupName(host: host, port: port)
            return fail(
                certificateError(
                    "the ssh host key of \(host) (port \(port)) does not match its entry in \(file): the server "
                        + "offers \(offered). If the server's key was changed on purpose, replace the entry: "
                        + "ssh-keygen -R '\(name)' -f \(file) && \(addCommand); otherwise someone may be "
                        + "intercepting the connection"
                )
            )
        case .revoked:
            return fail(
                certificateError("the ssh host key of \(host) (\(offered)) is marked @revoked in \(file)")
            )
        }
    }

    private var defaultKnownHostsFile: String {
        FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".ssh/known_hosts").path
    }

    private func fingerprint(_ hostkey: git_cert_hostkey) -> String {
        guard hostkey.type.rawValue & GIT_CERT_SSH_SHA256.rawValue != 0 else { return "" }
        let bytes = withUnsafeBytes(of: hostkey.hash_sha256) { Data($0) }
        var text = bytes.base64EncodedString()
        while text.hasSuffix("=") { text.removeLast() }
        return "SHA256:\(text)"
    }

    private func certificateError(_ message: String) -> GitError {
        GitError(code: .certificate, call: "certificate check callback", message: message, context: location.display)
    }
}

/// Which fetch runs on which thread, for the socket stream: libgit2 creates streams without a payload, on the
/// thread that called it.
enum FetchRegistry {
    private static let sessions = Mutex<[UInt: FetchSession]>([:])

    private static var thread: UInt {
        #if canImport(Darwin)
        UInt(bitPattern: pthread_self())
        #else
        UInt(pthread_self())
        #endif
    }

    static func set(_ session: FetchSession?) {
        let key = thread
        sessions.withLock { $0[key] = session }
    }

    static func current() -> FetchSession? {
        let key = thread
        return sessions.withLock { $0[key] }
    }
}

extension Duration {
    /// `30s`, `2.5s`.
    var formattedSeconds: String {
        let (seconds, attoseconds) = components
        let tenths = attoseconds / 100_000_000_000_000_000
        return tenths == 0 ? "\(seconds)s" : "\(seconds).\(tenths)s"
    }
}

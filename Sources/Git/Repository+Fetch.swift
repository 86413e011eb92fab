import CLibGit2
import Foundation

extension Repository {
    /// The remote-tracking namespace for a fetch from a URL or path rather than a configured remote:
    /// `refs/remotes/reconciler/<branch>`.
    package static let anonymousRemoteName = "reconciler"

    /// Fetches `branch` from `remote` (a remote name configured in the repository, or a URL/path) into
    /// `refs/remotes/<remoteName>/<branch>` and returns the fetched branch head.
    ///
    /// A URL or path (`/srv/git/homelab.git`, `file://…`, `ssh://git@host:2222/homelab.git`, `git@host:homelab.git`,
    /// `https://…`) is fetched into `refs/remotes/reconciler/<branch>` (``anonymousRemoteName``). Tags pointing
    /// into the fetched history come along, as with `git fetch`.
    ///
    /// Honors `timeout`: a fetch never hangs past it. The callbacks check the deadline, the connect waits at most
    /// until it, and a watchdog shuts the connection's socket down at it, which ends any read blocked on it
    /// (libgit2's or libssh2's). Not bounded by it: name resolution (the resolver's own timeouts apply).
    /// The fetch blocks the calling thread (and holds this repository's lock) for up to `timeout`.
    ///
    /// No proxy is used: `http.proxy` and the `*_proxy` variables are ignored.
    /// - Parameters:
    ///   - remote: A configured remote name (`origin`) or a URL/path.
    ///   - branch: The branch name on the remote (`main`), not a ref.
    ///   - credentials: ssh key/agent and `known_hosts` for ssh remotes, token for https; unused for paths.
    ///   - timeout: The longest the whole fetch may take.
    /// - Throws: `GitError` with `.notFound` (no such remote, repository or branch), `.auth` (key or token
    ///   rejected), `.certificate` (unknown or changed ssh host key, bad TLS certificate), `.timeout`, `.network`.
    package func fetch(remote: String, branch: String, credentials: Credentials, timeout: Duration) throws -> ObjectID {
        var valid: Int32 = 0
        guard !branch.isEmpty, git_reference_name_is_valid(&valid, "refs/heads/\(branch)") == 0, valid == 1 else {
            throw GitError(
                code: .badRevision,
                call: "git_reference_name_is_valid",
                message: "not a valid branch name",
                context: branch
            )
        }
        return try withRepository { repo in
            let (handle, trackingRemote) = try remoteHandle(repo, remote)
            let session = try session(for: handle, remote: remote, credentials: credentials, timeout: timeout)
            return try session.run {
                try Self.fetch(
                    repo,
                    handle,
                    session: session,
                    branch: branch,
                    trackingRef: "refs/remotes/\(trackingRemote)/\(branch)"
                )
            }
        }
    }

    /// The libgit2 remote for `remote` (kept for the next call) and the name its tracking refs live under.
    func remoteHandle(_ repo: OpaquePointer, _ remote: String) throws -> (OpaquePointer, trackingRemote: String) {
        var handle: OpaquePointer? = remoteHandles.withLock { $0[remote]?.pointer }
        let cached = handle != nil
        let trackingRemote: String
        if cached {
            trackingRemote = RemoteLocation.looksLikeURL(remote) ? Self.anonymousRemoteName : remote
        } else if RemoteLocation.looksLikeURL(remote) {
            try check(
                git_remote_create_anonymous(&handle, repo, remote),
                "git_remote_create_anonymous",
                context: remote
            )
            trackingRemote = Self.anonymousRemoteName
        } else {
            let rc = git_remote_lookup(&handle, repo, remote)
            if rc == GIT_ENOTFOUND.rawValue || rc == GIT_EINVALIDSPEC.rawValue {
                let configured = Self.remoteNames(repo)
                throw GitError(
                    code: .notFound,
                    call: "git_remote_lookup",
                    message: "no remote named '\(remote)' in \(workdir) (configured: "
                        + (configured.isEmpty ? "none" : configured.joined(separator: ", "))
                        + "); name a configured remote or give a URL",
                    context: remote
                )
            }
            try check(rc, "git_remote_lookup", context: remote)
            trackingRemote = remote
        }
        guard let handle else {
            throw GitError(code: .notFound, call: "git_remote_lookup", message: "no remote handle", context: remote)
        }
        if !cached {
            let kept = RemoteHandle(pointer: handle)
            remoteHandles.withLock { $0[remote] = kept }
        }
        return (handle, trackingRemote)
    }

    /// A fetch session on `handle`'s URL; a local path that does not exist is said so plainly.
    func session(
        for handle: OpaquePointer,
        remote: String,
        credentials: Credentials,
        timeout: Duration
    ) throws -> FetchSession {
        let url = string(git_remote_url(handle)) ?? remote
        let session = FetchSession(remote: remote, url: url, credentials: credentials, timeout: timeout)
        if session.location.transport == .local {
            // libgit2 picks the transport by whether the path exists, and calls a missing one an
            // "unsupported URL protocol".
            let path = url.hasPrefix("file://") ? String(url.dropFirst("file://".count)) : url
            guard FileManager.default.fileExists(atPath: path) else {
                throw GitError(
                    code: .notFound,
                    call: "fetch",
                    message: "no repository at \(session.name): the path does not exist",
                    context: url,
                    cause: "no repository there: the path does not exist"
                )
            }
        }
        return session
    }

    /// libgit2's callbacks wired to `session`: credentials, certificate checks, and the deadline.
    static func callbacks(for session: FetchSession) throws -> git_remote_callbacks {
        var callbacks = git_remote_callbacks()
        try check(
            git_remote_init_callbacks(&callbacks, UInt32(GIT_REMOTE_CALLBACKS_VERSION)),
            "git_remote_init_callbacks"
        )
        callbacks.credentials = { out, _, usernameFromURL, allowed, payload in
            guard let out, let payload else { return -1 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
                .acquireCredential(out, usernameFromURL: string(usernameFromURL), allowed: allowed)
        }
        callbacks.certificate_check = { cert, valid, host, payload in
            guard let cert, let payload else { return -1 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
                .checkCertificate(cert, valid: valid != 0, host: string(host) ?? "")
        }
        callbacks.transfer_progress = { _, payload in
            guard let payload else { return 0 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue().checkDeadline() ? 0 : -1
        }
        callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return 0 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue().checkDeadline() ? 0 : -1
        }
        callbacks.payload = Unmanaged.passUnretained(session).toOpaque()
        return callbacks
    }

    /// Connects `remote` for fetching and lists what it advertises; the caller disconnects.
    static func connectAndList(
        _ remote: OpaquePointer,
        session: FetchSession,
        callbacks: git_remote_callbacks
    ) throws -> (UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?, Int) {
        var connect = git_remote_connect_options()
        try check(
            git_remote_connect_options_init(&connect, UInt32(GIT_REMOTE_CONNECT_OPTIONS_VERSION)),
            "git_remote_connect_options_init"
        )
        connect.callbacks = callbacks
        var rc = git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &connect)
        if rc < 0 { throw session.error("git_remote_connect_ext", rc) }
        var heads: UnsafeMutablePointer<UnsafePointer<git_remote_head>?>?
        var count = 0
        rc = git_remote_ls(&heads, &count, remote)
        if rc < 0 {
            git_remote_disconnect(remote)
            throw session.error("git_remote_ls", rc)
        }
        return (heads, count)
    }

    private static func fetch(
        _ repo: OpaquePointer,
        _ remote: OpaquePointer,
        session: FetchSession,
        branch: String,
        trackingRef: String
    ) throws -> ObjectID {
        var callbacks = try Self.callbacks(for: session)

        return try withExtendedLifetime(session) {
            // Ask what the remote has first: a refspec matching nothing fetches nothing and is no error, and the
            // tracking ref from an earlier fetch would still be there.
            let (heads, count) = try connectAndList(remote, session: session, callbacks: callbacks)
            defer { git_remote_disconnect(remote) }
            var rc: Int32
            let wanted = "refs/heads/\(branch)"
            var branches: [String] = []
            var found = false
            var advertised = git_oid()
            var tags: [String] = []
            for i in 0..<count {
                guard let head = heads?[i]?.pointee, let name = string(head.name) else { continue }
                if name == wanted {
                    found = true
                    advertised = head.oid
                }
                if name.hasPrefix("refs/heads/") { branches.append(String(name.dropFirst("refs/heads/".count))) }
                if name.hasPrefix("refs/tags/"), !name.hasSuffix("^{}") { tags.append(name) }
            }
            // Nothing new (the common poll): the tracking ref is the advertised head and every advertised tag is
            // here. Skip the negotiation and the writes (FETCH_HEAD, the reflog), as an idle daemon should.
            if found, upToDate(repo, trackingRef: trackingRef, advertised: advertised, tags: tags) {
                return ObjectID(advertised)
            }
            guard found else {
                throw GitError(
                    code: .notFound,
                    call: "git_remote_ls",
                    message: "branch '\(branch)' does not exist on remote \(session.name) (branches there: "
                        + (branches.isEmpty ? "none" : branches.sorted().joined(separator: ", ")) + ")",
                    context: session.location.display
                )
            }

            var options = git_fetch_options()
            try check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "git_fetch_options_init")
            options.callbacks = callbacks
            options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_AUTO
            options.update_fetchhead = 1
            let refspec = strdup("+\(wanted):\(trackingRef)")
            defer { free(refspec) }
            var specs: [UnsafeMutablePointer<CChar>?] = [refspec]
            rc = specs.withUnsafeMutableBufferPointer { buffer in
                var array = git_strarray(strings: buffer.baseAddress, count: 1)
                return git_remote_download(remote, &array, &options)
            }
            if rc < 0 { throw session.error("git_remote_download", rc) }
            rc = git_remote_update_tips(
                remote,
                &callbacks,
                1,
                GIT_REMOTE_DOWNLOAD_TAGS_AUTO,
                "reconciler: fetch \(branch) from \(session.remote)"
            )
            if rc < 0 { throw session.error("git_remote_update_tips", rc) }

            var oid = git_oid()
            try check(
                git_reference_name_to_id(&oid, repo, trackingRef),
                "git_reference_name_to_id",
                context: trackingRef
            )
            return ObjectID(oid)
        }
    }

    /// Whether `trackingRef` already names `advertised`, which is in the object database, and every tag exists.
    private static func upToDate(
        _ repo: OpaquePointer,
        trackingRef: String,
        advertised: git_oid,
        tags: [String]
    ) -> Bool {
        var local = git_oid()
        var wanted = advertised
        guard git_reference_name_to_id(&local, repo, trackingRef) == 0, git_oid_equal(&local, &wanted) != 0 else {
            return false
        }
        var odb: OpaquePointer?
        guard git_repository_odb(&odb, repo) == 0 else { return false }
        defer { git_odb_free(odb) }
        guard git_odb_exists(odb, &wanted) != 0 else { return false }
        var tag = git_oid()
        return tags.allSatisfy { git_reference_name_to_id(&tag, repo, $0) == 0 }
    }

    private static func remoteNames(_ repo: OpaquePointer) -> [String] {
        var names = git_strarray()
        guard git_remote_list(&names, repo) == 0 else { return [] }
        defer { git_strarray_dispose(&names) }
        return (0..<names.count).compactMap { string(names.strings[$0]) }
    }
}

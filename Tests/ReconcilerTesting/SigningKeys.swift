import Foundation

/// Throw-away signing keys for tests, made with the real `ssh-keygen` and `gpg` in a temporary directory, and
/// signed commits made with the git CLI.
package struct SigningKeys: Sendable {
    package let directory: TemporaryDirectory

    package init() throws {
        directory = try TemporaryDirectory(prefix: "signing-keys")
    }

    package func remove() { directory.remove() }

    // MARK: SSH

    /// Makes an ed25519 key `name` (no passphrase) and returns the private key's path (`<path>.pub` beside it).
    package func sshKey(_ name: String) throws -> String {
        let path = directory.appending(name)
        try Command.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path])
        return path
    }

    /// Writes an allowed-signers file (git's format: `<principal> <key type> <key>`) naming each key's principal,
    /// and returns its path.
    package func allowedSigners(
        _ keys: [(principal: String, key: String)],
        name: String = "allowed_signers"
    )
        throws -> String
    {
        var text = ""
        for (principal, key) in keys {
            let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            text += "\(principal) \(publicKey)\n"
        }
        let path = directory.appending(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: GPG

    /// The private GNUPGHOME the GPG keys live in.
    package var gnupgHome: String { directory.appending("gnupg") }

    /// Makes an ed25519 signing key for `identity` (no passphrase) in ``gnupgHome``; returns its fingerprint.
    package func gpgKey(_ identity: String) throws -> String {
        try FileManager.default.createDirectory(
            atPath: gnupgHome,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        try Command.check(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", identity, "ed25519", "sign", "never"],
            environment: ["GNUPGHOME": gnupgHome]
        )
        let listing = try Command.check(
            ["gpg", "--batch", "--with-colons", "--list-secret-keys", identity],
            environment: ["GNUPGHOME": gnupgHome]
        )
        guard let line = listing.split(separator: "\n").first(where: { $0.hasPrefix("fpr:") }),
            let fingerprint = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst(9).first
        else {
            throw CommandFailure(
                argv: ["gpg", "--list-secret-keys"],
                result: .init(status: 1, stdout: listing, stderr: "")
            )
        }
        return String(fingerprint)
    }

    /// Exports the public keys `fingerprints` into a keyring file (binary OpenPGP) and returns its path.
    package func gpgKeyring(_ fingerprints: [String], name: String = "trusted.gpg") throws -> String {
        let path = directory.appending(name)
        try Command.check(
            ["gpg", "--batch", "--yes", "--output", path, "--export"] + fingerprints,
            environment: ["GNUPGHOME": gnupgHome]
        )
        return path
    }

    /// Stops the gpg-agent this directory's keys started, if any.
    package func stopAgent() {
        _ = try? Command.run(["gpgconf", "--kill", "all"], environment: ["GNUPGHOME": gnupgHome])
    }

    // MARK: Commits

    /// Makes a commit in `repository` (any change given in `file`) signed with the SSH key at `key`, or with the
    /// GPG key `gpg`, or unsigned when both are nil, and returns its sha. Pushes to `origin` when `push`.
    @discardableResult
    package func commit(
        in repository: String,
        file: String = "change.txt",
        content: String = UUID().uuidString,
        sshKey key: String? = nil,
        gpg fingerprint: String? = nil,
        push: Bool = true
    ) throws -> String {
        try GitFixture.write(content + "\n", to: file, in: repository)
        try GitFixture.git(["add", file], in: repository)
        var arguments: [String] = []
        var environment = GitFixture.environment
        if let key {
            arguments += ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(key)"]
        } else if let fingerprint {
            arguments += ["-c", "gpg.format=openpgp", "-c", "user.signingkey=\(fingerprint)"]
            environment["GNUPGHOME"] = gnupgHome
        }
        arguments += ["commit", "--quiet", "-m", "signed change"]
        if key != nil || fingerprint != nil { arguments.append("-S") }
        try Command.check(["git"] + arguments, in: repository, environment: environment)
        if push {
            try GitFixture.git(["push", "--quiet", "origin", "HEAD:refs/heads/main"], in: repository)
        }
        return try GitFixture.git(["rev-parse", "HEAD"], in: repository)
    }
}

import Foundation
import Git

/// What signature verification concluded about one commit, naming the commit and why.
package struct SignatureVerdict: Sendable, Equatable, CustomStringConvertible {
    package enum Outcome: Sendable, Equatable {
        /// A good signature by a trusted key. `signer` is the principal (SSH) or the key's user id (GPG), `key`
        /// the key's fingerprint.
        case trusted(signer: String, key: String)
        /// The commit carries no signature.
        case unsigned
        /// Signed, but not by a trusted key, or the signature does not match the commit.
        case untrusted(String)
        /// Signed in a format nothing is configured to check (an SSH signature without `allowedSigners`, a GPG
        /// one without `gpgKeyring`, X.509).
        case unverifiable(String)
    }

    package let commit: ObjectID
    package let outcome: Outcome

    package init(commit: ObjectID, outcome: Outcome) {
        self.commit = commit
        self.outcome = outcome
    }

    /// True only for a good signature by a trusted key.
    package var isTrusted: Bool {
        if case .trusted = outcome { return true }
        return false
    }

    package var description: String {
        let id = commit.short
        switch outcome {
        case .trusted(let signer, let key): return "commit \(id) has a good signature by \(signer) (\(key))"
        case .unsigned:
            return "commit \(id) is not signed; verify.mode is \"head\", so only commits signed by a trusted key are "
                + "deployed: sign it (git commit -S) and push again"
        case .untrusted(let why):
            return "commit \(id) is not signed by a trusted key: \(why)"
        case .unverifiable(let why):
            return "commit \(id) cannot be verified: \(why)"
        }
    }
}

/// Checks commit signatures against the host's trust anchors: SSH signatures with `ssh-keygen -Y verify` against an
/// allowed-signers file (git's `gpg.ssh.allowedSignersFile` format), GPG signatures with `gpg --verify` against a
/// keyring file, in a private `GNUPGHOME` so the machine's own keys never count. The signature and the signed data
/// come from libgit2 (``Repository/signature(of:)``), never from the work tree.
package struct SignatureVerifier: Sendable {
    package let allowedSigners: String?
    package let gpgKeyring: String?
    package let runner: ProcessRunner
    /// Where the signature files and the private GNUPGHOME are written (a fresh directory each call, removed
    /// after): the state directory's scratch area in production.
    package let scratchDirectory: String
    /// How long one `ssh-keygen` or `gpg` may take.
    package let timeout: Duration

    /// - Parameters:
    ///   - allowedSigners: The allowed-signers file for SSH signatures; nil: SSH signatures are not trusted.
    ///   - gpgKeyring: The keyring file for GPG signatures; nil: GPG signatures are not trusted.
    ///   - runner: Runs `ssh-keygen` and `gpg`.
    ///   - scratchDirectory: A private directory for temporary files.
    package init(
        allowedSigners: String?,
        gpgKeyring: String?,
        runner: ProcessRunner,
        scratchDirectory: String = FileManager.default.temporaryDirectory.path,
        timeout: Duration = .seconds(30)
    ) {
        self.allowedSigners = allowedSigners
        self.gpgKeyring = gpgKeyring
        self.runner = runner
        self.scratchDirectory = scratchDirectory
        self.timeout = timeout
    }

    /// - Parameter config: The host's `verify` section.
    package init(_ config: VerifyConfig, runner: ProcessRunner, scratchDirectory: String) {
        self.init(
            allowedSigners: config.allowedSigners,
            gpgKeyring: config.gpgKeyring,
            runner: runner,
            scratchDirectory: scratchDirectory
        )
    }

    /// Verifies `commit` of `repository`.
    /// - Throws: `GitError` when the commit cannot be read; every verification outcome is a verdict.
    package func verify(_ commit: ObjectID, in repository: Repository) async throws -> SignatureVerdict {
        let signature = try repository.signature(of: commit)
        return await verify(signature, of: commit)
    }

    /// Verifies an extracted signature (nil: the commit is unsigned).
    package func verify(_ signature: CommitSignature?, of commit: ObjectID) async -> SignatureVerdict {
        func verdict(_ outcome: SignatureVerdict.Outcome) -> SignatureVerdict {
            SignatureVerdict(commit: commit, outcome: outcome)
        }
        guard let signature else { return verdict(.unsigned) }
        let directory: String
        do {
            directory = try makePrivateDirectory()
        } catch {
            return verdict(.unverifiable("cannot create a scratch directory in \(scratchDirectory): \(error)"))
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        switch signature.format {
        case .ssh:
            guard let allowedSigners else {
                return verdict(.unverifiable("it has an SSH signature and verify.allowedSigners is not set"))
            }
            return verdict(await verifySSH(signature, allowedSigners: allowedSigners, in: directory))
        case .openPGP:
            guard let gpgKeyring else {
                return verdict(.unverifiable("it has a GPG signature and verify.gpgKeyring is not set"))
            }
            return verdict(await verifyGPG(signature, keyring: gpgKeyring, in: directory))
        case .x509, .unknown:
            return verdict(
                .unverifiable("it has an \(signature.format) signature; only SSH and GPG signatures are checked")
            )
        }
    }

    // MARK: SSH

    private func verifySSH(
        _ signature: CommitSignature,
        allowedSigners: String,
        in directory: String
    ) async
        -> SignatureVerdict.Outcome
    {
        guard FileManager.default.isReadableFile(atPath: allowedSigners) else {
            return .unverifiable("the allowed-signers file \(allowedSigners) does not exist or is not readable")
        }
        let sigFile = "\(directory)/signature.sig"
        guard FileManager.default.createFile(atPath: sigFile, contents: signature.signature) else {
            return .unverifiable("cannot write \(sigFile)")
        }
        let principals: [String]
        do {
            let found = try await runner.run(
                ["ssh-keygen", "-Y", "find-principals", "-f", allowedSigners, "-s", sigFile],
                timeout: timeout
            )
            principals = found.stdout.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
            guard found.status == 0, !principals.isEmpty else {
                return .untrusted("its SSH key is not in \(allowedSigners)")
            }
        } catch {
            return .unverifiable("\(error)")
        }
        var last = ""
        for principal in principals {
            do {
                let result = try await runner.run(
                    ["ssh-keygen", "-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", "git", "-s", sigFile],
                    timeout: timeout,
                    input: Array(signature.signedData)
                )
                if result.status == 0 {
                    return .trusted(signer: principal, key: Self.sshKeyFingerprint(result.stdout) ?? "SSH key")
                }
                last = result.outputTail.trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                return .unverifiable("\(error)")
            }
        }
        return .untrusted("the SSH signature does not verify (ssh-keygen: \(last))")
    }

    /// `SHA256:…` from `Good "git" signature for alice with ED25519 key SHA256:…`.
    private static func sshKeyFingerprint(_ output: String) -> String? {
        guard let range = output.range(of: " key ") else { return nil }
        let rest = output[range.upperBound...].prefix { !$0.isWhitespace }
        return rest.isEmpty ? nil : String(rest)
    }

    // MARK: GPG

    private func verifyGPG(
        _ signature: CommitSignature,
        keyring: String,
        in directory: String
    ) async
        -> SignatureVerdict.Outcome
    {
        let home = "\(directory)/gnupg"
        let keyringCopy = "\(home)/trusted.gpg"
        let sigFile = "\(directory)/signature.asc"
        do {
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: false)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: home)
            // A copy: gpg may write lock and trust files beside its keyring; the host's file stays untouched.
            try FileManager.default.copyItem(atPath: keyring, toPath: keyringCopy)
        } catch {
            return .unverifiable("cannot use the keyring \(keyring): \(error)")
        }
        guard FileManager.default.createFile(atPath: sigFile, contents: signature.signature) else {
            return .unverifiable("cannot write \(sigFile)")
        }
        let result: ProcessResult
        do {
            result = try await runner.run(
                [
                    "gpg", "--batch", "--no-tty", "--no-auto-key-retrieve", "--no-default-keyring", "--keyring",
                    keyringCopy, "--trust-model", "always", "--status-fd", "1", "--verify", sigFile, "-",
                ],
                environment: ["GNUPGHOME": home, "LC_ALL": "C"],
                timeout: timeout,
                input: Array(signature.signedData)
            )
        } catch {
            return .unverifiable("\(error)")
        }
        var good: (keyID: String, user: String)?
        var fingerprint: String?
        var problem: String?
        for line in result.stdout.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            guard fields.count >= 2, fields[0] == "[GNUPG:]" else { continue }
            switch fields[1] {
            case "GOODSIG" where fields.count >= 3:
                good = (fields[2], fields.count > 3 ? fields[3] : fields[2])
            case "VALIDSIG" where fields.count >= 3:
                fingerprint = fields[2]
            case "BADSIG": problem = "the GPG signature does not match the commit (BADSIG)"
            case "NO_PUBKEY": problem = "its GPG key \(fields.count > 2 ? fields[2] : "") is not in \(keyring)"
            case "EXPKEYSIG": problem = "its GPG key has expired"
            case "REVKEYSIG": problem = "its GPG key was revoked"
            case "EXPSIG": problem = "the GPG signature has expired"
            case "ERRSIG" where problem == nil: problem = "gpg could not check the signature (ERRSIG)"
            default: break
            }
        }
        if let problem { return .untrusted(problem) }
        guard result.status == 0, let good, let fingerprint else {
            return .untrusted(
                "gpg did not report a good signature (exit \(result.status)): "
                    + result.outputTail.trimmingCharacters(in: .whitespacesAndNewlines)
            )
        }
        return .trusted(signer: good.user, key: fingerprint)
    }

    private func makePrivateDirectory() throws -> String {
        let path = "\(scratchDirectory)/verify-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        return path
    }
}

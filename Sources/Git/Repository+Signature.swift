import CLibGit2
import Foundation

/// A commit's signature (`gpgsig` header) and the bytes it signs (the commit object without that header), as
/// `git_commit_extract_signature` returns them: what `ssh-keygen -Y verify` or `gpg --verify` must be given.
package struct CommitSignature: Hashable, Sendable {
    package enum Format: Hashable, Sendable, CustomStringConvertible {
        /// `-----BEGIN SSH SIGNATURE-----` (`gpg.format=ssh`).
        case ssh
        /// `-----BEGIN PGP SIGNATURE-----`.
        case openPGP
        /// `-----BEGIN SIGNED MESSAGE-----` (`gpg.format=x509`, gpgsm).
        case x509
        case unknown

        package var description: String {
            switch self {
            case .ssh: "SSH"
            case .openPGP: "OpenPGP"
            case .x509: "X.509"
            case .unknown: "unknown"
            }
        }
    }

    package let commit: ObjectID
    /// The armored signature.
    package let signature: Data
    /// The signed payload.
    package let signedData: Data

    package init(commit: ObjectID, signature: Data, signedData: Data) {
        self.commit = commit
        self.signature = signature
        self.signedData = signedData
    }

    /// The signature's kind, from its armor line.
    package var format: Format {
        let head = String(decoding: signature.prefix(64), as: UTF8.self)
        if head.hasPrefix("-----BEGIN SSH SIGNATURE-----") { return .ssh }
        if head.hasPrefix("-----BEGIN PGP SIGNATURE-----") { return .openPGP }
        if head.hasPrefix("-----BEGIN SIGNED MESSAGE-----") { return .x509 }
        return .unknown
    }
}

extension Repository {
    /// The signature of `commit` and the data it signs, or nil when the commit is not signed.
    /// - Parameter commit: A commit in this repository.
    /// - Throws: `.badRevision` when there is no such commit.
    package func signature(of commit: ObjectID) throws -> CommitSignature? {
        try withRepository { repo in
            var oid = try commit.gitOID()
            var signature = git_buf()
            var signed = git_buf()
            defer {
                git_buf_dispose(&signature)
                git_buf_dispose(&signed)
            }
            let rc = git_commit_extract_signature(&signature, &signed, repo, &oid, nil)
            if rc == GIT_ENOTFOUND.rawValue {
                // Either no such commit or no signature: tell them apart.
                var object: OpaquePointer?
                let lookup = git_commit_lookup(&object, repo, &oid)
                if lookup < 0 {
                    throw GitError.libgit2("git_commit_lookup", lookup, code: .badRevision, context: commit.hex)
                }
                git_commit_free(object)
                return nil
            }
            try check(rc, "git_commit_extract_signature", context: commit.hex)
            return CommitSignature(commit: commit, signature: data(signature), signedData: data(signed))
        }
    }

    private func data(_ buffer: git_buf) -> Data {
        guard let pointer = buffer.ptr, buffer.size > 0 else { return Data() }
        return Data(bytes: pointer, count: buffer.size)
    }
}

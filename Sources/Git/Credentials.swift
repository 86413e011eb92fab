/// How to authenticate a fetch. Everything is optional: `file://` and local paths need none.
package struct Credentials: Sendable, Hashable {
    /// Private key for `ssh://` and `git@host:path` remotes.
    package var sshPrivateKey: String?
    /// Public key beside it; when nil, `<sshPrivateKey>.pub` is used if it exists.
    package var sshPublicKey: String?
    /// Passphrase for the private key, if any.
    package var sshPassphrase: String?
    /// Offer the ssh-agent at `SSH_AUTH_SOCK` when it is set.
    package var useSSHAgent: Bool
    /// `known_hosts` file checked for ssh host keys; nil means `~/.ssh/known_hosts`.
    package var knownHostsFile: String?
    /// File holding an https token (first line used).
    package var tokenFile: String?
    /// User name sent with the token (GitHub/Gitea accept any non-empty name; GitLab wants `oauth2`).
    package var tokenUser: String

    package init(
        sshPrivateKey: String? = nil,
        sshPublicKey: String? = nil,
        sshPassphrase: String? = nil,
        useSSHAgent: Bool = true,
        knownHostsFile: String? = nil,
        tokenFile: String? = nil,
        tokenUser: String = "git"
    ) {
        self.sshPrivateKey = sshPrivateKey
        self.sshPublicKey = sshPublicKey
        self.sshPassphrase = sshPassphrase
        self.useSSHAgent = useSSHAgent
        self.knownHostsFile = knownHostsFile
        self.tokenFile = tokenFile
        self.tokenUser = tokenUser
    }
}

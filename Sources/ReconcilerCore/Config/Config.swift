/// What to reconcile and how: reconciler.json, every key defaulted, so a repository without the file works.
package struct Config: Sendable, Equatable {
    /// The file's name at the repository root.
    package static let fileName = "reconciler.json"

    /// Where this config was read from, for error messages.
    package var source = Config.fileName
    /// The remote to fetch from: a configured remote name, a URL or a path.
    package var remote = "origin"
    /// The branch whose head is deployed.
    package var branch = "main"
    /// Where the last fetch left the remote branch's head: `refs/remotes/<remote>/<branch>`.
    package var remoteTrackingRef: String { "refs/remotes/\(remote)/\(branch)" }
    /// How often the daemon polls the remote.
    package var pollInterval: Duration = .seconds(60)
    /// How long one fetch may take before it is abandoned (an extension to the contract).
    package var fetchTimeout: Duration = .seconds(120)
    /// Where the state database and lock live.
    package var stateDir = "/var/lib/reconciler"
    package var system = SystemConfig()
    package var services = ServicesConfig()
    /// Per-unit settings, by unit id. Units are discovered; this only adds settings to them.
    package var units: [String: UnitSettings] = [:]
    /// Named sets of unit ids for `deploy --group`.
    package var groups: [String: [String]] = [:]
    /// The daemon's HTTP listener; nil means no HTTP.
    package var webhook: WebhookConfig? = nil
    /// Where deploy results are announced.
    package var notify: [NotifyTarget] = []
    /// How long fetching may keep failing before the daemon notifies `fetchFailing`.
    package var notifyFetchFailureAfter: Duration = .seconds(30 * 60)
    /// How fetches authenticate (an extension to the contract).
    package var auth = AuthConfig()
    /// Which commits may be deployed by signature. Host-only.
    package var verify = VerifyConfig()
    /// Deploy a fetched head that does not descend from the deployed commit (a force-push) without being told to.
    /// Host-only.
    package var allowRewrite = false
    /// Allow `http://` and `git://` remotes. Host-only. A token is never sent over plain http even then.
    package var allowInsecureTransport = false
    /// Docker networks the units share, created when missing before the first unit is brought up.
    package var networks: [String: NetworkSettings] = [:]
    /// Commit statuses on the forge (host-only; ``ForgeSettings``).
    package var forge: ForgeSettings? = nil
    /// The machines one repository drives, by name (see ``HostSettings``); empty = one host, everything here.
    package var hosts: [String: HostSettings] = [:]
    /// Where the host's age identity for `.env.sops` files lives. Host-only.
    package var sops = SopsSettings()

    package init() {}

    /// The health timeout of a unit: its own override, else `services.healthTimeout`.
    /// - Parameters:
    ///   - unit: A unit id.
    package func healthTimeout(for unit: String) -> Duration {
        units[unit]?.healthTimeout ?? services.healthTimeout
    }

    /// The settings of a unit, defaults when reconciler.json has none for it.
    /// - Parameters:
    ///   - unit: A unit id.
    package func settings(for unit: String) -> UnitSettings {
        units[unit] ?? UnitSettings()
    }
}

/// The NixOS side: `system` in reconciler.json.
package struct SystemConfig: Sendable, Equatable {
    /// The directory whose changes mean a system switch, relative to the repository root.
    package var root = "nixos"
    /// The command that applies the system, run from the repository root.
    package var `switch` = ["nixos-rebuild", "switch", "--flake", "./nixos"]
    /// An optional command that must pass before anything is applied (`nixos-rebuild dry-build …`).
    package var check: [String]? = nil
    /// Builds the new system into `./result` from the repository root; nil: derived from ``switch``'s flake
    /// (``buildCommand``).
    package var build: [String]? = nil
    /// The system profile whose `-N-link`s are the generations (moved with `nix-env --profile … --set`).
    package var profile = "/nix/var/nix/profiles/system"
    /// The operator's own checks that must pass before a new system becomes the boot default.
    package var confirm: [ConfirmCheck] = []
    /// How long the confirm checks of a new (or restored) system may take, together.
    package var confirmTimeout: Duration = .seconds(120)
    /// Build, `test`, confirm, then boot (see `SystemStep`); false when reconciler.json sets `system.switch` alone:
    /// the one-command step of a non-NixOS host, followed by the remote and Docker checks.
    package var phased = true

    package init() {}

    /// `system.build`, else `nixos-rebuild build` with the `--flake` argument of ``switch`` (or `./<root>`).
    package var buildCommand: [String] {
        if let build { return build }
        if let flag = self.switch.firstIndex(of: "--flake"), flag + 1 < self.switch.count {
            return ["nixos-rebuild", "build", "--flake", self.switch[flag + 1]]
        }
        if let inline = self.switch.first(where: { $0.hasPrefix("--flake=") }) {
            return ["nixos-rebuild", "build", inline]
        }
        return ["nixos-rebuild", "build", "--flake", "./\(root)"]
    }
}

/// One entry of `system.confirm`: an argument vector that must exit 0, within its time limit.
package struct ConfirmCheck: Sendable, Equatable {
    package var command: [String]
    /// nil: what is left of `system.confirmTimeout`.
    package var timeout: Duration?

    package init(command: [String], timeout: Duration? = nil) {
        self.command = command
        self.timeout = timeout
    }
}

/// The Docker Compose side: `services` in reconciler.json.
package struct ServicesConfig: Sendable, Equatable {
    /// The directory holding the units, relative to the repository root.
    package var root = "services"
    /// The Compose command, before `--project-name …`.
    package var compose = ["docker", "compose"]
    /// How long a unit may take to become running and healthy.
    package var healthTimeout: Duration = .seconds(120)
    /// How many units of one wave are applied at once.
    package var parallelism = 4

    package init() {}
}

/// Settings for one unit: `units.<id>` in reconciler.json.
package struct UnitSettings: Sendable, Equatable {
    /// Unit ids that must be up before this one.
    package var dependsOn: [String] = []
    /// Overrides `services.healthTimeout` for this unit.
    package var healthTimeout: Duration? = nil
    /// `compose` or `swarm`; nil = the host's engine, else Compose.
    package var engine: ServiceEngine? = nil

    package init(dependsOn: [String] = [], healthTimeout: Duration? = nil, engine: ServiceEngine? = nil) {
        self.dependsOn = dependsOn
        self.healthTimeout = healthTimeout
        self.engine = engine
    }
}

/// The daemon's HTTP listener: `webhook` in reconciler.json.
package struct WebhookConfig: Sendable, Equatable {
    /// `host:port` to listen on.
    package var listen = "127.0.0.1:9876"
    /// File holding the shared secret webhooks are verified against.
    package var secretFile: String? = nil

    package init(listen: String = "127.0.0.1:9876", secretFile: String? = nil) {
        self.listen = listen
        self.secretFile = secretFile
    }
}

/// One place deploy results are posted: an entry of `notify` in reconciler.json.
package struct NotifyTarget: Sendable, Equatable {
    /// The older spelling of `kind` (`generic` is `webhook`).
    package enum Format: String, Sendable, Equatable, CaseIterable {
        case generic, discord, ntfy
    }

    /// What the daemon sends and how.
    package enum Kind: String, Sendable, Equatable, CaseIterable {
        case webhook, ntfy, discord, gotify, command
    }

    /// The events an entry can pick (`events`); none listed means all of them.
    package static let eventNames = [
        "succeeded", "failed", "rolledBack", "degraded", "healed", "healBudgetExhausted", "fetchFailing", "outage",
        "recovered", "rebootNeeded",
    ]

    /// Where to send; empty for `command` and with ``urlFile``.
    package var url: String
    /// A file holding the URL (`urlFile`, host-only), read at each send: a Discord or ntfy URL carries its token.
    package var urlFile: String? = nil
    package var format: Format
    package var kind: Kind
    /// Event names from `eventNames`; empty = every event.
    package var events: [String] = []
    /// `command`: the argument vector run with `RECONCILER_*` in its environment.
    package var command: [String] = []
    /// `webhook`: a file holding the key the body's HMAC-SHA256 is signed with (`X-Reconciler-Signature`).
    package var secretFile: String? = nil
    /// `gotify` (application token) or `ntfy` (access token): a file holding it.
    package var tokenFile: String? = nil

    package init(url: String, format: Format = .generic) {
        self.url = url
        self.format = format
        self.kind =
            switch format {
            case .generic: .webhook
            case .discord: .discord
            case .ntfy: .ntfy
            }
    }

    package init(kind: Kind, url: String = "", events: [String] = [], command: [String] = []) {
        self.url = url
        self.kind = kind
        self.format =
            switch kind {
            case .discord: .discord
            case .ntfy: .ntfy
            default: .generic
            }
        self.events = events
        self.command = command
    }

    /// Whether this entry wants `event`.
    package func wants(_ event: String) -> Bool { events.isEmpty || events.contains(event) }
}

/// Credentials for fetching: `auth` in reconciler.json (an extension to the contract). Paths to files, never
/// secrets themselves.
package struct AuthConfig: Sendable, Equatable {
    /// Private key for ssh remotes.
    package var sshKey: String? = nil
    /// `known_hosts` file for ssh remotes.
    package var knownHosts: String? = nil
    /// File holding an https token.
    package var tokenFile: String? = nil
    /// User name sent with the token.
    package var tokenUser: String? = nil

    package init(sshKey: String? = nil, knownHosts: String? = nil, tokenFile: String? = nil, tokenUser: String? = nil) {
        self.sshKey = sshKey
        self.knownHosts = knownHosts
        self.tokenFile = tokenFile
        self.tokenUser = tokenUser
    }
}

/// Commit signature verification: `verify` in the host's configuration file (host-only).
package struct VerifyConfig: Sendable, Equatable {
    package enum Mode: String, Sendable, Equatable, CaseIterable {
        /// The head to deploy must carry a good signature by a trusted key.
        case head
        /// No verification.
        case off
    }

    package var mode: Mode = .off
    /// An allowed-signers file in git's format (`gpg.ssh.allowedSignersFile`), for SSH signatures.
    package var allowedSigners: String? = nil
    /// An OpenPGP keyring file (`gpg --export` output) holding the trusted public keys, for GPG signatures.
    package var gpgKeyring: String? = nil

    package init(mode: Mode = .off, allowedSigners: String? = nil, gpgKeyring: String? = nil) {
        self.mode = mode
        self.allowedSigners = allowedSigners
        self.gpgKeyring = gpgKeyring
    }
}

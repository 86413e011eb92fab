import Foundation

/// What one call of a driver runs with: the governing configuration's tool prefix, the environment every process of
/// a deployment carries (the marker `Leftovers` looks for), and where its output lines go.
package struct DriverContext: Sendable {
    /// `services.compose` of the governing configuration (`["docker", "compose"]`).
    package var compose: [String]
    /// Added to the environment of what the driver starts.
    package var environment: [String: String]
    /// Called with each line of output as it arrives.
    package var onLine: (@Sendable (String) -> Void)?
    /// Units with `"engine": "swarm"` (``DriverRouter`` sends their calls to ``SwarmDriver``).
    package var swarm: Set<String> = []
    /// How units' `.env.sops` files are opened (the host's age identities); nil: they are not read.
    package var sops: SopsEnvironment?

    package init(
        compose: [String] = ["docker", "compose"],
        environment: [String: String] = [:],
        onLine: (@Sendable (String) -> Void)? = nil
    ) {
        self.compose = compose
        self.environment = environment
        self.onLine = onLine
    }

    /// The environment the driver's commands run with: the reconciler's own, with the context's additions.
    package var processEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { _, new in new }
        return environment
    }

    /// The Docker Engine API under that environment (`DOCKER_HOST`, else the default socket): the engine the
    /// drivers' `docker` commands reach.
    package var engineAPI: DockerEngineAPI {
        DockerEngineAPI.fromEnvironment(processEnvironment, timeout: .seconds(10))
    }

    /// The same context with another output sink.
    package func echoing(_ onLine: (@Sendable (String) -> Void)?) -> DriverContext {
        var copy = self
        copy.onLine = onLine
        return copy
    }
}

/// How a driver action ended: an exit status (0 = ok) and the end of what it printed.
package struct DriverResult: Sendable, Equatable {
    package let status: Int32
    /// The end of the action's output, bounded.
    package let outputTail: String

    package var succeeded: Bool { status == 0 }

    package init(status: Int32, outputTail: String) {
        self.status = status
        self.outputTail = outputTail
    }

    package init(_ result: ProcessResult) {
        self.init(status: result.status, outputTail: result.outputTail)
    }
}

/// What ``ServiceDriver/ensureNetworks(_:_:)`` did: the networks it created, and why one could not be, if so.
package struct NetworkOutcome: Sendable, Equatable {
    package var created: [String] = []
    package var failure: String?

    package init(created: [String] = [], failure: String? = nil) {
        self.created = created
        self.failure = failure
    }
}

/// What ``ServiceDriver/pull(_:in:_:)`` did: the pull's own result, and the images whose local id changed.
package struct PullOutcome: Sendable, Equatable {
    package let result: DriverResult
    package let newer: [String]
    /// When the pull failed: the unit's images, every one of which the engine has locally (an image built or loaded
    /// there, or a registry that does not answer), so the unit still starts on them. Empty otherwise.
    package let keptLocal: [String]

    package init(result: DriverResult, newer: [String], keptLocal: [String] = []) {
        self.result = result
        self.newer = newer
        self.keptLocal = keptLocal
    }
}

/// A command a person runs in the foreground, as it is (`logs --follow` replaces the reconciler with it).
package struct Invocation: Sendable, Equatable {
    package let argv: [String]
    package let directory: String
    /// Further commands run at the same time, their output on the same terminal: a Swarm stack's other services
    /// (`docker service logs` takes one service). Empty for Compose.
    package let alongside: [[String]]

    package init(argv: [String], directory: String, alongside: [[String]] = []) {
        self.argv = argv
        self.directory = directory
        self.alongside = alongside
    }
}

/// What the engine asks of the services' container engine, per unit: Docker Compose (``ComposeDriver``), and Swarm
/// stacks (``SwarmDriver``, `docker stack deploy/rm/ps`) for units with `"engine": "swarm"`, routed by ``DriverRouter``.
///
/// `directory` is where the unit's files are (the work tree, or a scratch copy of another commit's files).
package protocol ServiceDriver: Sendable {
    /// Do the unit's files (with their `.env`) parse? (`compose config --quiet`.)
    func validate(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// Brings the unit to its files (`compose up --detach --remove-orphans`); the health gate judges it afterwards.
    func up(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// Takes the unit down (`compose down --remove-orphans`).
    func down(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// Every container of the unit, stopped ones included. `directory` may be nil or gone: the unit is found by name.
    func containers(
        _ unit: ServiceUnit,
        in directory: String?,
        _ context: DriverContext
    ) async throws
        -> [ComposeContainer]
    /// The containers of each of `units` by unit id, in as few calls as the driver can make (the daemon's self-heal
    /// asks this on every poll). The default asks unit by unit.
    func containers(of units: [ServiceUnit], _ context: DriverContext) async throws -> [String: [ComposeContainer]]
    /// How often the health gate asks ``containers(_:in:_:)`` while it waits (the default: every 500 ms).
    func healthPollInterval(for unit: ServiceUnit, _ context: DriverContext) -> Duration
    /// Each live project's state as the engine summarises it (`running(2)`, `exited(1)`), by project name; nil
    /// when the engine cannot answer.
    func projects(_ context: DriverContext) async -> [String: String]?
    /// Creates each network of `networks` that does not exist yet (an existing one is left as it is).
    func ensureNetworks(_ networks: [String: NetworkSettings], _ context: DriverContext) async -> NetworkOutcome
    /// Pulls the unit's images (running containers are not touched) and says which images now point elsewhere.
    func pull(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> PullOutcome
    /// Why no service step can be taken now, when the cause is the world and not the commit: the container engine
    /// unreachable (`Docker engine unreachable at unix:///…: …`) or the Compose tool missing. Nil: ready.
    func outage(_ context: DriverContext) async -> String?
    /// The part of ``outage(_:)`` that starts no process: whether the engine answers. A deploy asks it before it
    /// begins, and asks ``outage(_:)`` in full when a check or a step fails (and while an outage lasts).
    func quickOutage(_ context: DriverContext) async -> String?
    /// Removes unused engine data (`docker system prune -f`).
    func prune(_ context: DriverContext) async throws -> DriverResult
    /// The foreground command that shows (or follows) a unit's logs.
    func logs(
        _ unit: ServiceUnit,
        in directory: String,
        follow: Bool,
        tail: Int?,
        _ context: DriverContext
    ) async
        -> Invocation
}

/// How a NixOS generation is activated (`<generation>/bin/switch-to-configuration <mode>`).
package enum ActivationMode: String, Sendable, CaseIterable {
    /// Active now, not the boot default.
    case test
    /// The boot default, not activated.
    case boot
    /// Active now and the boot default.
    case `switch`
}

/// What the engine asks of the host system: the configured `system.check` and `system.switch` commands, and the
/// phases of the NixOS system step (build, activate a generation, move the profile, the operator's confirm checks).
package protocol SystemDriver: Sendable {
    /// Runs `system.check` (`nixos-rebuild dry-build …`) from `directory`.
    func check(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// Runs `system.switch` (`nixos-rebuild switch …`) from `directory`.
    func `switch`(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// Runs `system.build` (`nixos-rebuild build …`) from `directory`, which leaves the system at `./result`.
    func build(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    /// `<generation>/bin/switch-to-configuration <mode>`.
    func activate(
        _ generation: String,
        _ mode: ActivationMode,
        _ context: DriverContext
    ) async throws -> DriverResult
    /// `nix-env --profile <profile> --set <generation>`: a new generation link, made the profile's current one.
    func setProfile(_ profile: String, to generation: String, _ context: DriverContext) async throws -> DriverResult
    /// One of the operator's `system.confirm` checks, from `directory`, within `timeout`.
    func confirm(
        _ command: [String],
        in directory: String,
        timeout: Duration,
        _ context: DriverContext
    ) async throws -> DriverResult
}

/// Everything the engine asks of the outside world. The engine builds no `docker` argument vector itself: only a
/// driver does. Tests use `FakeDriver` (ReconcilerTesting), a recording fake that can fail, hang, or report
/// containers unhealthy.
package protocol Driver: ServiceDriver, SystemDriver {}

extension ServiceDriver {
    /// A driver with no cheaper way asks the whole question.
    package func quickOutage(_ context: DriverContext) async -> String? { await outage(context) }

    package func healthPollInterval(for unit: ServiceUnit, _ context: DriverContext) -> Duration { .milliseconds(500) }

    package func containers(
        of units: [ServiceUnit],
        _ context: DriverContext
    ) async throws
        -> [String: [ComposeContainer]]
    {
        var found: [String: [ComposeContainer]] = [:]
        for unit in units { found[unit.id] = try await containers(unit, in: nil, context) }
        return found
    }

    /// Whether every container of `unit` is up (or a completed one-shot) right now.
    package func isRunning(_ unit: ServiceUnit, in directory: String?, _ context: DriverContext) async -> Bool {
        guard let containers = try? await containers(unit, in: directory, context) else { return false }
        if case .passed? = HealthGate.judge(containers) { return true }
        return false
    }
}

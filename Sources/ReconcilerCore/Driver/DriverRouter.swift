/// The product's ``Driver``: each unit's calls go to the driver of its engine (``DriverContext/swarm`` names the
/// units with `"engine": "swarm"`), the system's to the system driver, engine-wide calls (networks, prune) to
/// Compose. The engine never chooses; it asks this one driver.
package struct DriverRouter: Driver {
    package let compose: any ServiceDriver
    package let swarm: any ServiceDriver
    package let system: any SystemDriver

    package init(compose: any ServiceDriver, swarm: any ServiceDriver, system: any SystemDriver) {
        self.compose = compose
        self.swarm = swarm
        self.system = system
    }

    /// Compose through ``ComposeDriver``, Swarm stacks through ``SwarmDriver``, the system through
    /// ``NixOSDriver``, all on `runner`.
    package init(runner: ProcessRunner) {
        self.init(
            compose: ComposeDriver(runner: runner),
            swarm: SwarmDriver(runner: runner),
            system: NixOSDriver(runner: runner)
        )
    }

    /// The driver of `unit` under `context`.
    package func driver(for unit: ServiceUnit, _ context: DriverContext) -> any ServiceDriver {
        context.swarm.contains(unit.id) ? swarm : compose
    }

    package func validate(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await driver(for: unit, context).validate(unit, in: directory, context)
    }

    package func up(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult {
        try await driver(for: unit, context).up(unit, in: directory, context)
    }

    package func down(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await driver(for: unit, context).down(unit, in: directory, context)
    }

    package func containers(
        _ unit: ServiceUnit,
        in directory: String?,
        _ context: DriverContext
    ) async throws
        -> [ComposeContainer]
    {
        try await driver(for: unit, context).containers(unit, in: directory, context)
    }

    package func containers(
        of units: [ServiceUnit],
        _ context: DriverContext
    ) async throws -> [String: [ComposeContainer]] {
        let stacks = units.filter { context.swarm.contains($0.id) }
        let projects = units.filter { !context.swarm.contains($0.id) }
        var found = projects.isEmpty ? [:] : try await compose.containers(of: projects, context)
        if !stacks.isEmpty { found.merge(try await swarm.containers(of: stacks, context)) { _, stack in stack } }
        return found
    }

    /// The interval of the driver of `unit`.
    package func healthPollInterval(for unit: ServiceUnit, _ context: DriverContext) -> Duration {
        driver(for: unit, context).healthPollInterval(for: unit, context)
    }

    package func projects(_ context: DriverContext) async -> [String: String]? {
        let projects = await compose.projects(context)
        // A host that is no Swarm manager has no stacks to add; its Compose projects still answer.
        guard !context.swarm.isEmpty, let stacks = await swarm.projects(context) else { return projects }
        return (projects ?? [:]).merging(stacks) { _, stack in stack }
    }

    package func ensureNetworks(_ networks: [String: NetworkSettings], _ context: DriverContext) async -> NetworkOutcome
    {
        await compose.ensureNetworks(networks, context)
    }

    package func pull(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> PullOutcome {
        try await driver(for: unit, context).pull(unit, in: directory, context)
    }

    package func prune(_ context: DriverContext) async throws -> DriverResult {
        try await compose.prune(context)
    }

    /// The engine and Compose first; with Swarm units, also whether this engine is a Swarm manager.
    package func outage(_ context: DriverContext) async -> String? {
        if let why = await compose.outage(context) { return why }
        guard !context.swarm.isEmpty else { return nil }
        return await swarm.outage(context)
    }

    /// The engine's answer alone; with Swarm units, also whether it is a manager. Both through the Engine API: no
    /// process starts before a deploy while the engine answers.
    package func quickOutage(_ context: DriverContext) async -> String? {
        if let why = await compose.quickOutage(context) { return why }
        guard !context.swarm.isEmpty else { return nil }
        return await swarm.quickOutage(context)
    }

    package func logs(
        _ unit: ServiceUnit,
        in directory: String,
        follow: Bool,
        tail: Int?,
        _ context: DriverContext
    ) async -> Invocation {
        await driver(for: unit, context).logs(unit, in: directory, follow: follow, tail: tail, context)
    }

    package func check(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await system.check(command, in: directory, context)
    }

    package func `switch`(
        _ command: [String],
        in directory: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await system.switch(command, in: directory, context)
    }

    package func build(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await system.build(command, in: directory, context)
    }

    package func activate(
        _ generation: String,
        _ mode: ActivationMode,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await system.activate(generation, mode, context)
    }

    package func setProfile(
        _ profile: String,
        to generation: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await system.setProfile(profile, to: generation, context)
    }

    package func confirm(
        _ command: [String],
        in directory: String,
        timeout: Duration,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await system.confirm(command, in: directory, timeout: timeout, context)
    }
}

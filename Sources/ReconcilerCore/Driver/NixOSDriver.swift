import Foundation

/// The real system driver: the configured `system.check`, `system.switch` and `system.build` commands, a generation's
/// `switch-to-configuration`, `nix-env --profile … --set`, and the operator's confirm checks, all run by the one
/// ``ProcessRunner`` as argument vectors with time limits.
package struct NixOSDriver: SystemDriver {
    package let runner: ProcessRunner
    /// How long `system.switch`, `system.check`, `system.build` and an activation may run.
    package static let systemTimeout: Duration = .seconds(3600)
    /// How long `nix-env --set` may take (it writes one link).
    package static let profileTimeout: Duration = .seconds(120)

    package init(runner: ProcessRunner) {
        self.runner = runner
    }

    package func check(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await run(command, in: directory, timeout: Self.systemTimeout, context)
    }

    package func `switch`(
        _ command: [String],
        in directory: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await run(command, in: directory, timeout: Self.systemTimeout, context)
    }

    package func build(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await run(command, in: directory, timeout: Self.systemTimeout, context)
    }

    package func activate(
        _ generation: String,
        _ mode: ActivationMode,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await run(
            ["\(generation)/bin/switch-to-configuration", mode.rawValue],
            in: "/",
            timeout: Self.systemTimeout,
            context
        )
    }

    package func setProfile(
        _ profile: String,
        to generation: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await run(
            ["nix-env", "--profile", profile, "--set", generation],
            in: "/",
            timeout: Self.profileTimeout,
            context
        )
    }

    package func confirm(
        _ command: [String],
        in directory: String,
        timeout: Duration,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await run(command, in: directory, timeout: timeout, context)
    }

    private func run(
        _ command: [String],
        in directory: String,
        timeout: Duration,
        _ context: DriverContext
    ) async throws -> DriverResult {
        DriverResult(
            try await runner.run(
                command,
                in: directory,
                environment: context.environment,
                timeout: timeout,
                onLine: context.onLine
            )
        )
    }
}

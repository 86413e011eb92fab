extension Compose {
    /// The image references a unit's Compose file uses (`config --images`), with its `.env`.
    package func images(_ unit: ServiceUnit, in directory: String) async throws -> [String] {
        let argv = command + ["--project-name", unit.projectName, "--file", unit.composeFile, "config", "--images"]
        let result = try await runner.run(argv, in: directory, timeout: Self.shortTimeout)
        guard result.succeeded else {
            throw ComposeError(
                unit: unit.id,
                message: "`compose config --images` failed: \(result.outputTail.lastLines(5))"
            )
        }
        return Array(Set(result.stdout.split(whereSeparator: \.isNewline).map(String.init))).sorted()
    }

    /// `pull`: fetches newer versions of the unit's images; never changes running containers.
    package func pull(
        _ unit: ServiceUnit,
        in directory: String,
        onLine: (@Sendable (String) -> Void)? = nil
    ) async throws(ProcessError) -> ProcessResult {
        try await runner.run(
            command + ["--project-name", unit.projectName, "--file", unit.composeFile, "pull"],
            in: directory,
            environment: environment,
            timeout: Self.upTimeout,
            onLine: onLine
        )
    }
}

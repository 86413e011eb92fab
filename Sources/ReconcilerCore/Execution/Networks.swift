import Foundation

extension Reconciler {
    /// Creates every network `networks` in reconciler.json declares that does not exist yet, before the first unit
    /// of a deploy is brought up (Compose refuses to start a unit whose `external: true` network is missing).
    /// Returns nil when all exist, else why one could not be created.
    /// - Parameters:
    ///   - config: The configuration that governs the deploy.
    package func ensureNetworks(_ config: Config) async -> String? {
        guard !config.networks.isEmpty else { return nil }
        let docker = Docker(compose: config.services.compose, runner: runner)
        for (name, settings) in config.networks.sorted(by: { $0.key < $1.key }) {
            do {
                if try await docker.networkExists(name) { continue }
                let result = try await docker.createNetwork(name, driver: settings.driver)
                // Another process may have created it in the meantime; that is as good.
                if !result.succeeded, try await !docker.networkExists(name) {
                    return "network \(name) (declared in reconciler.json) could not be created: "
                        + result.outputTail.lastLines(3)
                }
                reporter.report(.info("Created network \(name) (driver \(settings.driver))"))
            } catch {
                return "network \(name) (declared in reconciler.json) could not be checked or created: \(error)"
            }
        }
        return nil
    }
}

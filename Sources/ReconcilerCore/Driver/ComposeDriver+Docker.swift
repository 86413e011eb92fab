import Foundation

/// The parts of the real driver that need the `docker` CLI itself (networks, images, prune): Compose does not cover them.
extension ComposeDriver {
    private func docker(_ context: DriverContext) -> Docker {
        Docker(compose: context.compose, runner: runner)
    }

    package func ensureNetworks(_ networks: [String: NetworkSettings], _ context: DriverContext) async -> NetworkOutcome
    {
        func couldNot(_ name: String) -> String { "network \(name) (declared in reconciler.json) could not be" }
        let docker = docker(context)
        var outcome = NetworkOutcome()
        for (name, settings) in networks.sorted(by: { $0.key < $1.key }) {
            do {
                if try await docker.networkExists(name) { continue }
                let result = try await docker.createNetwork(name, driver: settings.driver)
                // Another process may have created it in the meantime; that is as good.
                if !result.succeeded, try await !docker.networkExists(name) {
                    outcome.failure = "\(couldNot(name)) created: \(result.outputTail.lastLines(3))"
                    return outcome
                }
                if result.succeeded { outcome.created.append(name) }
            } catch {
                outcome.failure = "\(couldNot(name)) checked or created: \(error)"
                return outcome
            }
        }
        return outcome
    }

    package func pull(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> PullOutcome {
        let compose = self.compose(context)
        let docker = docker(context)
        let images = try await compose.images(unit, in: directory)
        var before: [String: String] = [:]
        for image in images { before[image] = try await docker.imageID(image) ?? "" }
        let pulled = try await compose.pull(unit, in: directory, onLine: context.onLine)
        guard pulled.succeeded else {
            let local = !images.isEmpty && images.allSatisfy { before[$0]?.isEmpty == false }
            return PullOutcome(result: DriverResult(pulled), newer: [], keptLocal: local ? images : [])
        }
        var newer: [String] = []
        for image in images where try await docker.imageID(image) ?? "" != before[image] {
            newer.append(image)
        }
        return PullOutcome(result: DriverResult(pulled), newer: newer)
    }

    package func prune(_ context: DriverContext) async throws -> DriverResult {
        let result = try await docker(context).prune()
        // prune's report (what it removed, the space reclaimed) is on stdout; keep it for the operator.
        let output = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return DriverResult(status: result.status, outputTail: result.succeeded ? output : result.outputTail)
    }
}

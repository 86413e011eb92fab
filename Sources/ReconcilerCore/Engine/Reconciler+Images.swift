import Foundation

/// What `reconciler pull-images` did.
package struct ImageUpdateResult: Sendable {
    /// Running units at least one of whose images now points to a newer image.
    package var changed: [String] = []
    /// Units whose pull failed, with why.
    package var failedPulls: [(unit: String, message: String)] = []
    /// Units whose pull failed while the engine has every one of their images: they keep running on those.
    package var keptLocal: [(unit: String, images: [String])] = []
    /// The redeploy of `changed` (nil when nothing changed).
    package var outcome: DeployOutcome?
}

extension Reconciler {
    /// `reconciler pull-images`: `compose pull` for every unit of the deployed commit, then the units that are
    /// running and whose images changed are brought up again (recreated on the new image, health-gated, recorded
    /// with trigger `pull-images`), in dependency order, like a sync.
    package func pullImages() async throws -> ImageUpdateResult {
        try checkNotDegraded()
        let target = try deployedTarget()
        let engine = self.engine
        var result = ImageUpdateResult()
        for id in target.units.ids {
            guard let unit = target.units.units[id] else { continue }
            let directory = engine.absolute(unit.directory)
            let started = ContinuousClock.now
            reporter.report(.stepStarted(phase: .apply, unit: id, action: "pull"))
            var message = "up to date"
            var ok = true
            do {
                let pulled = try await driver.pull(unit, in: directory, engine.context(target.config, unit: id))
                if !pulled.result.succeeded, !pulled.keptLocal.isEmpty {
                    // Not an error: the unit still starts on what the engine has. Said, not hidden.
                    message =
                        "kept the local image \(pulled.keptLocal.joined(separator: ", ")): no registry gave a newer one "
                        + "(compose pull exited \(pulled.result.status): \(pulled.result.outputTail.lastLines(1)))"
                    result.keptLocal.append((id, pulled.keptLocal))
                } else if !pulled.result.succeeded {
                    ok = false
                    message = "compose pull exited \(pulled.result.status): \(pulled.result.outputTail.lastLines(3))"
                    result.failedPulls.append((id, message))
                } else if !pulled.newer.isEmpty {
                    let newer = pulled.newer.joined(separator: ", ")
                    if await driver.isRunning(unit, in: directory, engine.context(target.config)) {
                        result.changed.append(id)
                        message = "newer image: \(newer)"
                    } else {
                        message = "newer image: \(newer) (not running: used at its next start)"
                    }
                }
            } catch {
                ok = false
                message = "\(error)"
                result.failedPulls.append((id, message))
            }
            reporter.report(
                .stepFinished(
                    phase: .apply,
                    unit: id,
                    action: "pull",
                    ok: ok,
                    message: message,
                    duration: ContinuousClock.now - started
                )
            )
        }
        if !result.changed.isEmpty {
            result.outcome = try await deploy(.units(result.changed), trigger: .pullImages)
        }
        return result
    }
}

extension Reconciler {
    /// `reconciler cleanup`: removes unused engine data (stopped containers, unused networks, dangling images).
    package func cleanup() async throws -> DriverResult {
        try await driver.prune(DriverContext(compose: try workTreeConfig().services.compose))
    }
}

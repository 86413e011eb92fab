import Foundation

/// What `reconciler pull-images` did.
package struct ImageUpdateResult: Sendable {
    /// Running units at least one of whose images now points to a newer image.
    package var changed: [String] = []
    /// Units whose pull failed, with why.
    package var failedPulls: [(unit: String, message: String)] = []
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
        let compose = compose(target.config)
        let docker = Docker(compose: target.config.services.compose, runner: runner)
        var result = ImageUpdateResult()
        for id in target.units.ids {
            guard let unit = target.units.units[id] else { continue }
            let directory = absolute(unit.directory)
            let started = ContinuousClock.now
            reporter.report(.stepStarted(phase: .apply, unit: id, action: "pull"))
            var message = "up to date"
            var ok = true
            do {
                let images = try await compose.images(unit, in: directory)
                var before: [String: String] = [:]
                for image in images { before[image] = try await docker.imageID(image) ?? "" }
                let reporter = self.reporter
                let pulled = try await compose.pull(unit, in: directory) { line in
                    reporter.report(.output(unit: id, line: line))
                }
                if !pulled.succeeded {
                    ok = false
                    message = "compose pull exited \(pulled.status): \(pulled.outputTail.lastLines(3))"
                    result.failedPulls.append((id, message))
                } else {
                    var newer: [String] = []
                    for image in images where try await docker.imageID(image) ?? "" != before[image] {
                        newer.append(image)
                    }
                    if !newer.isEmpty {
                        if await isRunning(unit, config: target.config) {
                            result.changed.append(id)
                            message = "newer image: \(newer.joined(separator: ", "))"
                        } else {
                            message =
                                "newer image: \(newer.joined(separator: ", ")) (not running: used at its next start)"
                        }
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
            result.outcome = try await ensure(.units(result.changed), trigger: "pull-images")
        }
        return result
    }
}

import Foundation

/// The system step's part of crash recovery. A reconciler killed during `test` or the confirm window left a system
/// active that is not the boot default (the profile moves only after confirmation, so a reboot would land on the last
/// confirmed generation anyway). Recovery activates that generation again, the profile's current one, and records it
/// as the system step's rollback; the services are then rolled back as usual.
struct SystemRecovery: Sendable {
    let engine: Engine

    /// Whether `record` was killed inside a phased system step (before its boot phase ended).
    static func applies(to record: DeploymentRecord, config: Config) -> Bool {
        config.system.phased
            && record.steps.contains { $0.action == .switch && $0.phase == .apply && $0.result == .running }
    }

    /// Nil when there was nothing to do or the confirmed generation is active again; else why not.
    /// - Parameters:
    ///   - record: The interrupted deployment.
    ///   - config: The configuration that governed it (its `system.profile`).
    func restore(_ record: DeploymentRecord, config: Config) async throws -> String? {
        guard Self.applies(to: record, config: config) else { return nil }
        guard let generation = NixGenerations.current(config.system.profile) else {
            return "system.profile \(config.system.profile) names no generation to activate again"
        }
        let ledger = engine.ledger
        let step = try ledger.beginStep(record.id, phase: .rollback, unit: UnitID.system, action: .switch)
        engine.reporter.report(
            .info(
                "system: the deployment was interrupted before the new system was confirmed; activating generation "
                    + "\(generation.number) (the boot default) again"
            )
        )
        let context = engine.context(config, deployment: record.id, unit: UnitID.system)
        var failure: String?
        var tail = ""
        var status: Int32?
        do {
            let result = try await engine.driver.activate(generation.link, .switch, context)
            tail = result.outputTail
            status = result.status
            if !result.succeeded {
                failure = "switch-to-configuration switch of generation \(generation.number) exited \(result.status)"
            }
        } catch {
            failure = "switch-to-configuration switch of generation \(generation.number): \(error)"
        }
        try ledger.finishStep(
            step,
            failure: failure,
            exitCode: status,
            logTail: failure == nil ? "generation \(generation.number) active again (rolled back)\n\(tail)" : tail
        )
        return failure
    }
}

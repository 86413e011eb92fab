import Foundation
import Git

extension AuthConfig {
    /// The credentials a fetch (and the system step's remote check) uses.
    package var credentials: Credentials {
        Credentials(
            sshPrivateKey: sshKey,
            knownHostsFile: knownHosts,
            tokenFile: tokenFile,
            tokenUser: tokenUser ?? "git"
        )
    }
}

/// Whether the host still works after a system was activated: the remote answers a ref listing through the fetch's
/// own transport and credentials, the Docker Engine answers `/_ping`, every unit that was running and healthy before
/// is so again, and the operator's `system.confirm` checks pass. The checks are asked again until all pass or the
/// time is up (a unit restarting after a Docker restart takes a moment).
struct SystemConfirm: Sendable {
    let engine: Engine
    let config: Config
    let context: DriverContext
    /// Units running and healthy before the switch that the commit does not change (``healthyUnits(_:)``).
    let units: [ServiceUnit]
    /// Whether the operator's checks run (the one-command step of a non-NixOS host runs the remote and Docker only).
    let operatorChecks: Bool
    /// Whether the remote and the Docker Engine answered before the switch: a check of what did not work before is
    /// not the switch's to pass (an operator rolling back while the forge is down must not be refused).
    var baseline = Baseline(remote: true, docker: true)

    struct Baseline: Sendable {
        var remote: Bool
        var docker: Bool
    }

    /// What answers now, before the switch.
    static func baseline(engine: Engine, config: Config, context: DriverContext) async -> Baseline {
        let remote = (try? listRemote(engine: engine, config: config, timeout: config.fetchTimeout)) != nil
        let docker = await engine.driver.quickOutage(context) == nil
        return Baseline(remote: remote, docker: docker)
    }

    private static func listRemote(engine: Engine, config: Config, timeout: Duration) throws -> [String] {
        try engine.repository.listRemote(remote: config.remote, credentials: config.auth.credentials, timeout: timeout)
    }

    /// How long to wait between two rounds of checks.
    static let interval: Duration = .milliseconds(500)

    /// Which of `units` run and are healthy now (the health gate's rule), in one question to the driver.
    static func healthyUnits(_ units: [ServiceUnit], engine: Engine, context: DriverContext) async -> [ServiceUnit] {
        guard !units.isEmpty, let found = try? await engine.driver.containers(of: units, context) else { return [] }
        return units.filter { unit in
            if case .passed? = HealthGate.judge(found[unit.id] ?? []) { return true }
            return false
        }
    }

    /// Nil when every check passed within `timeout`, else the check that failed last and what it said.
    func run(timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        let started = ContinuousClock.now
        var failure: String?
        repeat {
            failure = await round(deadline: deadline)
            if failure == nil {
                let (seconds, attoseconds) = (ContinuousClock.now - started).components
                let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
                engine.reporter.report(.info("system: confirmed in \(milliseconds) ms"))
                return nil
            }
            if ContinuousClock.now + Self.interval >= deadline { break }
            try? await Task.sleep(for: Self.interval)
        } while ContinuousClock.now < deadline
        return "not confirmed within \(ConfigDuration.format(timeout)): \(failure ?? "no check ran")"
    }

    /// One round of every check, in order; the first failure ends it.
    private func round(deadline: ContinuousClock.Instant) async -> String? {
        let left = max(ContinuousClock.now.duration(to: deadline), .milliseconds(100))
        if baseline.remote {
            do {
                let refs = try Self.listRemote(engine: engine, config: config, timeout: min(left, config.fetchTimeout))
                if refs.isEmpty { return "remote check: \(RemoteURL.display(config.remote)) lists no refs" }
            } catch {
                return "remote check: cannot list the refs of \(RemoteURL.display(config.remote)): \(error)"
            }
        }
        if baseline.docker, let outage = await engine.driver.quickOutage(context) {
            return "Docker check: \(outage)"
        }
        if !units.isEmpty {
            let healthy = await Self.healthyUnits(units, engine: engine, context: context)
            let missing = units.map(\.id).filter { id in !healthy.contains { $0.id == id } }
            if !missing.isEmpty {
                return "unit check: running and healthy before the switch, not now: \(missing.joined(separator: ", "))"
            }
        }
        guard operatorChecks else { return nil }
        for check in config.system.confirm {
            let remaining = max(ContinuousClock.now.duration(to: deadline), .milliseconds(100))
            let limit = min(check.timeout ?? remaining, remaining)
            let shown = check.command.joined(separator: " ")
            do {
                let result = try await engine.driver.confirm(
                    check.command,
                    in: engine.repository.workdir,
                    timeout: limit,
                    context
                )
                if !result.succeeded {
                    return "confirm check `\(shown)` exited \(result.status): \(result.outputTail.lastLines(4))"
                }
            } catch {
                return "confirm check `\(shown)`: \(error)"
            }
        }
        return nil
    }
}

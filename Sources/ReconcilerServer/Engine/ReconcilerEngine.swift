import Foundation
import Git
import Logging
import ReconcilerCore

/// The one adapter between the daemon and the engine (`Reconciler`): every call the daemon makes into the engine is in
/// this file.
///
/// The daemon holds `reconciler.lock` only while it acts (a poll, a heal), so an operator's `stop`, `deploy` or
/// `rollback` between polls works; a poll that finds the lock taken is skipped and retried.
package final class ReconcilerEngine: DeployEngine {
    let reconciler: Reconciler
    let lockPath: String
    let docker: DockerEngineAPI
    let logger: Logger

    package init(reconciler: Reconciler, stateDirectory: String, docker: DockerEngineAPI, logger: Logger) {
        self.reconciler = reconciler
        self.lockPath = "\(stateDirectory)/reconciler.lock"
        self.docker = docker
        self.logger = logger
    }

    private func withLock<T>(_ body: () async throws -> T) async throws -> T {
        let lock = try FileLock.acquire(path: lockPath, command: FileLock.daemonCommand)
        defer { lock.release() }
        // One reconciler per repository: the git directory's lock too.
        let gitDirectory = try reconciler.repository.gitDirectory()
        let repositoryLock = try FileLock.acquire(
            path: "\(gitDirectory)/\(ReconcilerLocks.fileName)",
            command: FileLock.daemonCommand
        )
        defer { repositoryLock.release() }
        return try await body()
    }

    package func recover() async throws {
        try await withLock { try await reconciler.recoverInterrupted() }
    }

    package func poll(trigger: PollTrigger) async -> PollOutcome {
        do {
            return try await withLock { () async -> PollOutcome in
                do {
                    try await reconciler.recoverInterrupted()
                    try reconciler.checkNotDegraded()
                } catch {
                    return .refused(Self.message(error))
                }
                let head: Commit
                do {
                    let config = try reconciler.currentConfig()
                    head = try reconciler.fetchRemoteHead(config)
                } catch {
                    return .fetchFailed(Self.message(error))
                }
                let started = ContinuousClock.now
                do {
                    let outcome = try await reconciler.deployIfNew(
                        head,
                        trigger: trigger.deploymentTrigger,
                        dryRun: false
                    )
                    if case .nothingToDo(let why) = outcome { return .nothingToDo(head: head.id.hex, why) }
                    return .deployed(head: head.id.hex, outcome, duration: ContinuousClock.now - started)
                } catch {
                    return .refused(Self.message(error))
                }
            }
        } catch let error as LockError {
            return .busy("\(error)")
        } catch {
            return .refused(Self.message(error))
        }
    }

    package func status(live: [String: String]?) async throws -> StatusReport {
        try await reconciler.status(observed: .some(live))
    }

    package func history(limit: Int) throws -> [DeploymentRecord] {
        try reconciler.store.deployments(limit: limit)
    }

    package func liveUnits() async throws -> [LiveUnit] {
        let deployed = try reconciler.deployedServiceUnits()
        if deployed.isEmpty { return [] }
        let api = docker
        let containers = try await Task.detached { try api.composeContainers() }.value
        let byProject = Dictionary(grouping: containers.filter { !$0.oneOff }, by: \.project)
        var result: [LiveUnit] = []
        for unit in deployed {
            let mine = byProject[unit.project] ?? []
            var policies: [String: String] = [:]
            // Only containers that are down need their restart policy; a healthy poll makes exactly one request.
            for c in mine where c.state != "running" && unit.state == .running {
                policies[c.id] = (try? await Task.detached { try api.restartPolicy(of: c.id) }.value) ?? "unknown"
            }
            result.append(
                LiveUnit(
                    id: unit.id,
                    project: unit.project,
                    recordedState: unit.state,
                    containers: mine,
                    restartPolicies: policies
                )
            )
        }
        return result
    }

    package func heal(unit: String) async -> DeployOutcome {
        do {
            return try await withLock { try await reconciler.heal(unit: unit) }
        } catch {
            return .failed(Self.message(error))
        }
    }

    package func currentConfig() throws -> Config {
        try reconciler.currentConfig()
    }

    package func marks() throws -> EngineMarks {
        let store = reconciler.store
        return EngineMarks(
            deployed: try store.deployedCommit()?.hex,
            degraded: try store.degraded() != nil,
            held: try store.hold() != nil,
            outage: try store.outage() != nil
        )
    }

    package func deploymentDetail(id: Int64) throws -> DeploymentDetail? {
        try reconciler.deploymentDetail(id)
    }

    static func message(_ error: any Error) -> String {
        if let error = error as? ReconcilerError { return error.message }
        return "\(error)"
    }
}

import Foundation
import Git

/// What `reconciler status` shows; its JSON is the stable shape documented in docs/commands.md.
package struct StatusReport: Codable, Sendable {
    package struct UnitStatus: Codable, Sendable {
        package let id: String
        /// Compose project name; nil for the system.
        package let project: String?
        /// The commit the unit was last applied at, as the state records it.
        package let commit: String?
        /// `running`, `failed`, `stopped`, `unknown` (never applied).
        package let state: String
        /// What Compose says now (`running(2)`, `exited(1)`), or `absent`; nil for the system.
        package let live: String?
        package let message: String?
    }

    package struct Mark: Codable, Sendable {
        package let commit: String
        package let reason: String
        package let at: Date
    }

    package struct LastDeployment: Codable, Sendable {
        package let id: Int64
        package let trigger: String
        package let from: String?
        package let to: String
        package let result: String
        package let startedAt: Date
        package let endedAt: Date?
        package let message: String?
    }

    package let repo: String
    /// `ok`, `degraded`, `failed`, `drifted`.
    package let state: String
    package let deployed: CommitRef?
    /// The remote branch head as last fetched.
    package let remote: CommitRef?
    package let lastDeployment: LastDeployment?
    package let degraded: Mark?
    package let hold: Mark?
    /// A failure mark on the remote head, when it is the commit that failed.
    package let failedCommit: Mark?
    package let drift: [String]
    package let units: [UnitStatus]

    package var exitCode: ReconcilerError.ExitCode {
        switch state {
        case "degraded": .degraded
        case "drifted": .refused
        case "failed": .deployFailed
        default: .ok
        }
    }
}

extension Reconciler {
    package func status() async throws -> StatusReport {
        let deployed = try? deployedCommit()
        let config = (try? currentConfig()) ?? Config()
        let remote = try? repository.commit(for: "refs/remotes/\(config.remote)/\(config.branch)")
        let last = try store.lastFinishedDeployment()
        let running = try store.runningDeployments().first
        let lastShown = running ?? last
        let degraded = try store.degraded()
        let hold = try store.hold()
        let failed = try remote.flatMap { try store.failure(of: $0.id.hex) }
        let drift = (try? repository.modifiedTrackedFiles()) ?? []

        var unitSet: UnitSet?
        if let deployed {
            unitSet = try? units(at: deployed.id, config: config).0
        } else {
            unitSet = try? workTreeUnits(config: config)
        }
        let records = Dictionary(try store.units().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let live = await liveProjects(config)
        var units: [StatusReport.UnitStatus] = []
        if unitSet?.hasSystem == true || records["system"] != nil {
            let r = records["system"]
            units.append(
                .init(
                    id: "system",
                    project: nil,
                    commit: r?.commit,
                    state: r?.state.rawValue ?? "unknown",
                    live: nil,
                    message: r?.message
                )
            )
        }
        var ids = Set(unitSet?.units.keys.map { $0 } ?? [])
        ids.formUnion(records.keys.filter { $0 != "system" })
        for id in ids.sorted() {
            let r = records[id]
            let project = unitSet?.units[id]?.projectName ?? composeProjectName(forUnitID: id)
            units.append(
                .init(
                    id: id,
                    project: project,
                    commit: r?.commit,
                    state: r?.state.rawValue ?? "unknown",
                    live: live?[project] ?? (live == nil ? nil : "absent"),
                    message: r?.message
                )
            )
        }

        let state: String
        if degraded != nil {
            state = "degraded"
        } else if !drift.isEmpty {
            state = "drifted"
        } else if let result = last?.result, [.failed, .rolledBack, .degraded].contains(result) {
            state = "failed"
        } else if units.contains(where: { $0.state == UnitState.failed.rawValue }) {
            state = "failed"
        } else {
            state = "ok"
        }
        return StatusReport(
            repo: repository.workdir,
            state: state,
            deployed: deployed.map(CommitRef.init),
            remote: remote.map(CommitRef.init),
            lastDeployment: lastShown.map {
                .init(
                    id: $0.id,
                    trigger: $0.trigger,
                    from: $0.fromCommit,
                    to: $0.toCommit,
                    result: $0.result.rawValue,
                    startedAt: $0.startedAt,
                    endedAt: $0.endedAt,
                    message: $0.message
                )
            },
            degraded: degraded.map { .init(commit: $0.commit, reason: $0.reason, at: $0.at) },
            hold: hold.map { .init(commit: $0.commit, reason: $0.reason, at: $0.at) },
            failedCommit: failed.map { .init(commit: $0.commit, reason: $0.reason, at: $0.at) },
            drift: drift,
            units: units
        )
    }

    /// Every Compose project's status in one call (`compose ls --all`), by project name; nil when Compose can't answer.
    func liveProjects(_ config: Config) async -> [String: String]? {
        struct Project: Decodable {
            let Name: String
            let Status: String
        }
        guard
            let result = try? await runner.run(
                config.services.compose + ["ls", "--all", "--format", "json"],
                in: "/",
                timeout: .seconds(60)
            ),
            result.succeeded,
            let projects = try? JSONDecoder().decode([Project].self, from: Data(result.stdout.utf8))
        else { return nil }
        return Dictionary(projects.map { ($0.Name, $0.Status) }, uniquingKeysWith: { a, _ in a })
    }
}

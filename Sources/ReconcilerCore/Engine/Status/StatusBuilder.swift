import Foundation
import Git

/// Builds the status report from what the state records and what runs now, without I/O.
package struct StatusBuilder: Sendable {
    package var repo: String
    package var deployed: Commit?
    package var remote: Commit?
    /// The newest finished deployment, and one still running (shown instead when there is one).
    package var lastFinished: DeploymentRecord?
    package var running: DeploymentRecord?
    package var degraded: CommitMark?
    package var hold: CommitMark?
    /// The failure mark of the remote head, if any.
    package var failedRemote: CommitMark?
    /// The outage going on (engine unreachable, fetch failing), with the commit waiting to deploy.
    package var outage: CommitMark?
    package var drift: [String] = []
    /// The units of the deployed commit (or the work tree); nil when they cannot be read.
    package var units: UnitSet?
    package var records: [UnitRecord] = []
    /// Each live project's state by project name; nil when the driver cannot answer.
    package var live: [String: String]?

    package init(repo: String) {
        self.repo = repo
    }

    package func build() -> StatusReport {
        let records = Dictionary(self.records.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [StatusReport.UnitStatus] = []
        if units?.hasSystem == true || records[UnitID.system] != nil {
            let r = records[UnitID.system]
            rows.append(
                .init(
                    id: UnitID.system,
                    project: nil,
                    commit: r?.commit?.hex,
                    state: r?.state.rawValue ?? "unknown",
                    live: nil,
                    message: r?.message
                )
            )
        }
        var ids = Set(units?.units.keys.map { $0 } ?? [])
        ids.formUnion(records.keys.filter { $0 != UnitID.system })
        for id in ids.sorted() {
            let r = records[id]
            let project = units?.units[id]?.projectName ?? composeProjectName(forUnitID: id)
            rows.append(
                .init(
                    id: id,
                    project: project,
                    commit: r?.commit?.hex,
                    state: r?.state.rawValue ?? "unknown",
                    live: live?[project] ?? (live == nil ? nil : "absent"),
                    message: r?.message
                )
            )
        }
        var report = StatusReport(
            repo: repo,
            state: state(rows),
            deployed: deployed.map(CommitRef.init),
            remote: remote.map(CommitRef.init),
            lastDeployment: (running ?? lastFinished).map(StatusReport.LastDeployment.init),
            degraded: degraded.map(StatusReport.Mark.init),
            hold: hold.map(StatusReport.Mark.init),
            failedCommit: failedRemote.map(StatusReport.Mark.init),
            outage: outage.map(StatusReport.Mark.init),
            drift: drift,
            units: rows
        )
        report.rebootNeeded = StatusReport.rebootNeeded(fromSystemMessage: records[UnitID.system]?.message)
        return report
    }

    private func state(_ rows: [StatusReport.UnitStatus]) -> StatusReport.State {
        if degraded != nil { return .degraded }
        if !drift.isEmpty { return .drifted }
        // The world failed, not the commit: what the last deployment or a unit shows is the outage's doing.
        if outage != nil { return .outage }
        if let result = lastFinished?.result, [.failed, .rolledBack, .degraded].contains(result) { return .failed }
        if rows.contains(where: { $0.state == UnitState.failed.rawValue }) { return .failed }
        return .ok
    }
}

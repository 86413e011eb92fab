import Foundation
import Git

/// One deployment as its page (`/deployments/<id>`) and its notification show it: the record with its steps, the
/// target commit's subject and author, and what changed inside its units (``UnitChanges``, read from git).
package struct DeploymentDetail: Sendable {
    package let record: DeploymentRecord
    /// The target commit's first line and author, nil when the commit is no longer in the clone.
    package let subject: String?
    package let author: String?
    package let changes: [UnitChanges]

    package init(record: DeploymentRecord, subject: String?, author: String?, changes: [UnitChanges]) {
        self.record = record
        self.subject = subject
        self.author = author
        self.changes = changes
    }

    /// `plex 1.41.0 → 1.41.3, new redis redis:7`: the image changes in a line (empty when none).
    package var imageSummary: String {
        changes.flatMap(\.images).map(\.short).joined(separator: ", ")
    }
}

/// What of a deployment's stored plan (its `plan --json` text) the detail needs.
private struct StoredPlan: Decodable {
    let from: CommitRef?
    let to: CommitRef
    let steps: [PlanStep]
}

extension Reconciler {
    /// The deployment `id` with its commit and image changes; nil when there is no such deployment.
    package func deploymentDetail(_ id: Int64) throws -> DeploymentDetail? {
        guard let record = try store.deployment(id) else { return nil }
        let commit = try? repository.commit(for: record.toCommit.hex)
        var changes: [UnitChanges] = []
        if let stored = try? JSONDecoder().decode(StoredPlan.self, from: Data(record.plan.utf8)) {
            let plan = Plan(from: stored.from, to: stored.to, steps: stored.steps, ignoredPaths: [])
            changes = withChanges(plan).changes ?? []
        }
        return DeploymentDetail(
            record: record,
            subject: commit?.summary,
            author: commit.map { "\($0.authorName) <\($0.authorEmail)>" },
            changes: changes
        )
    }
}

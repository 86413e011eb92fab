import Foundation
import Git

/// A deploy clone that cannot serve a deploy is the clone's fault, not the commit's: refused with what to run, not
/// recorded, and the commit is not marked failed.
extension Reconciler {
    /// Refuses a shallow clone (`git clone --depth`): without the branch's history a force-push cannot be told
    /// from a new commit, and a rollback cannot reach earlier commits.
    package func checkFullHistory(remote: String) throws {
        try syncGate.checkFullHistory(remote: remote)
    }

    /// Refuses to start a deploy of `commit` while any of its objects cannot be read (a damaged loose object),
    /// before anything is recorded or written: a checkout would fail half-way.
    package func checkReadable(_ commit: ObjectID, remote: String) throws {
        let unreadable = try repository.unreadableObjects(in: commit)
        guard !unreadable.isEmpty else { return }
        let dir = repository.workdir
        let files = unreadable.compactMap(\.looseFile)
        let moveAway =
            files.isEmpty
            ? ""
            : "Move the damaged file\(files.count == 1 ? "" : "s") away (\(files.joined(separator: " "))), then "
        throw ReconcilerError(
            .configuration,
            "the deploy repository \(dir) is damaged: objects of commit \(commit.short) cannot be read:"
                + unreadable.map { "\n  \($0)" }.joined()
                + "\nNothing was changed, and \(commit.short) is not marked failed (the commit is not at fault). "
                + "\(moveAway)\(moveAway.isEmpty ? "F" : "f")etch the objects again with "
                + "`git -C \(dir) fetch --refetch \(remote)` (`git -C \(dir) fsck` checks the rest) and sync again."
        )
    }
}

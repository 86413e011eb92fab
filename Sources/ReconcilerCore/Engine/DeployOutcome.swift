/// How a deploy ended.
package enum DeployOutcome: Sendable, Equatable {
    case succeeded
    /// Nothing to deploy (up to date, held, or a commit that failed before).
    case nothingToDo(String)
    /// The target failed validation: nothing was changed.
    case invalid(String)
    /// A step failed and the rollback brought the previous commit back.
    case rolledBack(String)
    /// A step failed and there was no earlier commit to roll back to.
    case failed(String)
    /// The rollback failed too.
    case degraded(String)
    /// The world, not the commit, failed (Docker engine unreachable, Compose missing, disk full): the commit is not
    /// marked failed and the next sync deploys it.
    case outage(String)

    package var exitCode: ReconcilerError.ExitCode {
        switch self {
        case .succeeded, .nothingToDo: .ok
        case .invalid, .outage: .configuration
        case .rolledBack, .failed: .deployFailed
        case .degraded: .degraded
        }
    }
}

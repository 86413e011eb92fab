import Logging
import ReconcilerCore
import ReconcilerServer

extension ForgeStatuses {
    /// The sender for the host file's `forge` (host-only, so the host file alone says), nil when it sets none.
    static func make(_ options: GlobalOptions, logger: Logger) throws -> ForgeStatuses? {
        guard let forge = try Reconciler.hostConfig(options.hostConfigFile).forge else { return nil }
        return ForgeStatuses(forge: forge, host: options.hostName, logger: logger)
    }

    /// `inner`, sending `pending` through `forge` when a deployment starts (when there is a forge).
    static func reporter(_ inner: any ProgressReporter, _ forge: ForgeStatuses?) -> any ProgressReporter {
        guard let forge else { return inner }
        return ForgeStatusReporter(inner, statuses: forge)
    }
}

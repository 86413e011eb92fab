import Logging
import ReconcilerCore
import ReconcilerServer

extension ForgeStatuses {
    /// The sender for the host file's `forge` (host-only, so the host file alone says), nil when it sets none.
    static func make(_ options: GlobalOptions, logger: Logger) throws -> ForgeStatuses? {
        guard let forge = try Reconciler.hostConfig(options.hostConfigFile).forge else { return nil }
        return ForgeStatuses(forge: forge, host: options.hostName, logger: logger)
    }
}

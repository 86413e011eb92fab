import Foundation
import Git
import ReconcilerCore

/// The deploy repository's work tree as it is on disk, for commands that need no state (`secrets`).
struct WorkTree {
    let repository: Repository
    let config: Config
    let units: UnitSet

    static func open(_ options: GlobalOptions) throws -> WorkTree {
        let repository: Repository
        do {
            repository = try Repository(at: options.repoPath)
        } catch {
            throw ReconcilerError(
                .configuration,
                "cannot open the deploy repository at \(options.repoPath): \(error)\nPass --repo DIR or set RECONCILER_REPO to a clone of your homelab repository."
            )
        }
        let config = try Reconciler.workTreeConfig(
            workdir: repository.workdir,
            hostConfigFile: options.hostConfigFile
        )
        let root = repository.workdir
        let units = try UnitDiscovery.discover(
            entries: try UnitDiscovery.workTreeEntries(root: root),
            servicesRoot: config.services.root,
            systemRoot: config.system.root,
            symlinkTarget: UnitDiscovery.workTreeSymlinkTarget(root: root)
        )
        return WorkTree(repository: repository, config: config, units: units)
    }

    /// Problems with the work tree's `.env` files (names only, never values).
    func secretsFailures() throws -> [ValidationFailure] {
        SecretsAudit.audit(
            units: units.ids.compactMap { units.units[$0] },
            workdir: repository.workdir,
            trackedEnvFiles: try repository.trackedPaths(named: ".env")
        )
    }

    /// Keys that look secret and still hold their `.env.example` placeholder (names only, never values).
    func placeholderWarnings() -> [ValidationFailure] {
        SecretsAudit.placeholderWarnings(units: units.ids.compactMap { units.units[$0] }, workdir: repository.workdir)
    }
}

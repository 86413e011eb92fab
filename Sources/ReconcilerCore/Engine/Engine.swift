import Foundation
import Git

/// What the engine's parts share: the deploy repository (its work tree is the deployed state), the ledger that
/// records, the driver that acts, and where progress goes.
package struct Engine: Sendable {
    package let repository: Repository
    package let ledger: DeploymentLedger
    package let driver: any Driver
    package let reporter: any ProgressReporter

    package init(
        repository: Repository,
        ledger: DeploymentLedger,
        driver: any Driver,
        reporter: any ProgressReporter
    ) {
        self.repository = repository
        self.ledger = ledger
        self.driver = driver
        self.reporter = reporter
    }

    /// What a driver call of a deployment runs with: the config's Compose command, and the marker every process of
    /// `deployment` carries so that a crash's leftovers can be found.
    package func context(_ config: Config, deployment: Int64? = nil, unit: String? = nil) -> DriverContext {
        var environment: [String: String] = [:]
        if let deployment {
            environment[Leftovers.variable] = Leftovers.tag(store: ledger.store, deployment: deployment)
        }
        var onLine: (@Sendable (String) -> Void)?
        if let unit {
            let reporter = self.reporter
            onLine = { reporter.report(.output(unit: unit, line: $0)) }
        }
        var context = DriverContext(compose: config.services.compose, environment: environment, onLine: onLine)
        context.swarm = Set(config.units.filter { $0.value.engine == .swarm }.keys)
        context.sops = SopsEnvironment(settings: config.sops, scratchRoot: scratchRoot)
        return context
    }

    /// Where scratch copies live: `<state directory>/tmp` (0700), never the shared /tmp, since they hold `.env`
    /// copies.
    package var scratchRoot: String { "\(ledger.store.directory)/tmp" }

    /// A new private scratch directory under ``scratchRoot``.
    package func scratch() throws -> ScratchDirectory { try ScratchDirectory(under: scratchRoot) }

    /// A path relative to the work tree, made absolute.
    package func absolute(_ relative: String) -> String {
        relative.isEmpty ? repository.workdir : "\(repository.workdir)/\(relative)"
    }
}

/// A private scratch directory for one operation.
package struct ScratchDirectory: Sendable {
    /// How scratch directories' names begin (``removeLeftovers(under:)`` looks for them).
    package static let prefix = "reconciler-"

    package let path: String

    /// - Parameter base: The directory it is made in (created 0700 if missing): the state directory's `tmp`.
    package init(under base: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = chmod(base, 0o700)
        path = "\(base)/\(Self.prefix)\(UUID().uuidString.prefix(12).lowercased())"
        try fm.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Removes the scratch directories an earlier run left under `base` (it was killed before it could).
    /// Call only while holding the reconciler's lock, so no live run's directory is among them.
    package static func removeLeftovers(under base: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix(prefix) {
            try? fm.removeItem(atPath: "\(base)/\(name)")
        }
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

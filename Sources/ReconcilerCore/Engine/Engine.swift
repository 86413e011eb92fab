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
        return DriverContext(compose: config.services.compose, environment: environment, onLine: onLine)
    }

    /// A path relative to the work tree, made absolute.
    package func absolute(_ relative: String) -> String {
        relative.isEmpty ? repository.workdir : "\(repository.workdir)/\(relative)"
    }
}

/// A private scratch directory for one operation.
package struct ScratchDirectory: Sendable {
    package let path: String

    package init() throws {
        path = "\(FileManager.default.temporaryDirectory.path)/reconciler-\(UUID().uuidString.prefix(12).lowercased())"
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

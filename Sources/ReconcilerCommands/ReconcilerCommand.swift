import ArgumentParser
import Foundation
import Logging
import ReconcilerCore
import ReconcilerServer

/// `reconciler`: GitOps for one home server.
package struct ReconcilerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "reconciler",
        abstract:
            "GitOps for a home server: NixOS + Docker Compose, path-scoped, ordered, health-gated, rolled back on failure.",
        discussion: """
            Exit codes: 0 ok · 1 usage or configuration error (including a target commit that fails validation, \
            or a remote that cannot be fetched) · 2 deploy failed and was rolled back · 3 rollback failed (degraded) · \
            4 another reconciler holds the lock · 5 drift/refused.

            Global options (--repo, --state-dir, --config, --host, --verbose) go before the subcommand or after it: \
            `reconciler --repo /opt/homelab status` and `reconciler status --repo /opt/homelab` are the same.
            """,
        version: ReconcilerVersion.current,
        subcommands: [
            SyncCommand.self, PlanCommand.self, StatusCommand.self, RollbackCommand.self, ResumeCommand.self,
            DeployCommand.self, StopCommand.self, RestartCommand.self, LogsCommand.self, ValidateCommand.self,
            HistoryCommand.self, SecretsCommand.self, PullImagesCommand.self, CleanupCommand.self,
            RunCommand.self, TriggerCommand.self, BenchPlanCommand.self,
        ]
    )

    package init() {}
}

extension ReconcilerCommand {
    /// The process's log handler: stderr (stdout stays clean for `--json`), every message masked with the run's
    /// ``SecretMasker/shared``.
    package static func maskingLogHandler(label: String) -> any LogHandler {
        MaskingLogHandler(StreamLogHandler.standardError(label: label), masker: .shared)
    }
}

extension ReconcilerCommand {
    /// Prints `error` as ArgumentParser would and exits with the contract's code: a usage error (an unknown option, a
    /// missing argument, a failed `validate()`) exits 1, not ArgumentParser's EX_USAGE (64).
    package static func exitWithContractCode(for error: any Error) -> Never {
        guard exitCode(for: error) == .validationFailure else { exit(withError: error) }
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(ReconcilerError.ExitCode.configuration.rawValue)
    }
}

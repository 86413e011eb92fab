import ArgumentParser
import Foundation
import Logging
import ReconcilerCore
import ReconcilerServer

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The daemon: poll loop, webhooks, self-heal, /healthz, /status, /metrics and a status page.",
        discussion: """
            Polls every pollInterval (±10 %), deploys what is new, brings back containers that died, and serves HTTP \
            on webhook.listen. Logs go to stderr. SIGTERM/SIGINT: the running step finishes (up to \
            --shutdown-grace), then it exits 0. See docs/running.md and docs/webhooks.md.
            """
    )

    @OptionGroup var global: GlobalOptions

    @Option(name: .long, help: "host:port for HTTP (default: webhook.listen, else 127.0.0.1:9876).")
    var listen: String?

    @Option(
        name: .customLong("webhook-secret-file"),
        help: "The webhook secret file (default: webhook.secretFile); mode 0600."
    )
    var webhookSecretFile: String?

    @Option(name: .customLong("poll-interval"), help: "Override pollInterval (e.g. 30s, 5m).")
    var pollInterval: String?

    @Option(
        name: .customLong("shutdown-grace"),
        help: "How long a running step may take to finish after SIGTERM."
    )
    var shutdownGrace: String = "60s"

    @Option(name: .customLong("heal-budget"), help: "Heals per unit within --heal-window.")
    var healBudget: Int = 5

    @Option(name: .customLong("heal-window"), help: "The heal budget's window.")
    var healWindow: String = "30m"

    @Flag(name: .customLong("no-heal"), help: "Do not bring back containers that died.")
    var noHeal = false

    func validate() throws {
        for (name, value) in [("--shutdown-grace", shutdownGrace), ("--heal-window", healWindow)]
        where ConfigDuration.parse(value) == nil {
            throw ValidationError("\(name): \(value) is not a duration (\(ConfigDuration.acceptedForms))")
        }
        if let pollInterval, ConfigDuration.parse(pollInterval) == nil {
            throw ValidationError(
                "--poll-interval: \(pollInterval) is not a duration (\(ConfigDuration.acceptedForms))"
            )
        }
        if healBudget < 0 { throw ValidationError("--heal-budget must be 0 or more") }
    }

    func run() async throws {
        try await runCommand {
            var logger = Logger(label: "reconciler")
            logger.logLevel = global.verbose ? .debug : .info
            // No umask here: the checkout gets git's modes (0644/0755) whatever the umask, and the state directory,
            // scratch copies and secrets are made 0700/0600 by explicit modes. The first thing: the file limit, read
            // (and the soft limit raised) before anything else opens descriptors.
            let limits = ConnectionLimits.forThisProcess()
            let forge = try ForgeStatuses.make(global, logger: logger)
            let session = try Session.open(
                global,
                command: "run",
                locking: false,
                reporter: ForgeStatuses.reporter(LogReporter(logger: logger), forge)
            )
            let reconciler = session.reconciler
            let store = reconciler.store
            forge?.latestDeployment { try? store.deployments(limit: 1).first?.id }
            let stateDirectory = reconciler.store.directory
            let daemonLock: FileLock
            do {
                daemonLock = try FileLock.acquire(path: "\(stateDirectory)/daemon.lock", command: "reconciler run")
            } catch {
                throw ReconcilerError(.locked, "another reconciler daemon runs for \(stateDirectory): \(error)")
            }
            defer { daemonLock.release() }

            let config = try reconciler.currentConfig()
            // A --host that reconciler.json's hosts does not list stops the daemon at once, naming the known ones.
            _ = try reconciler.scope(config)
            let secret = try (webhookSecretFile ?? config.webhook?.secretFile).map { try WebhookSecret.load($0) }
            if let webhookSecretFile { SecretMasker.shared.addSecretFile(atPath: webhookSecretFile) }
            if secret == nil {
                logger.warning("webhook.secretFile is not set: webhooks are off, the daemon polls only")
            }
            var options = DaemonOptions(
                pollInterval: pollInterval.flatMap(ConfigDuration.parse) ?? config.pollInterval,
                shutdownGrace: ConfigDuration.parse(shutdownGrace)!,
                heal: !noHeal,
                healBudget: healBudget,
                healWindow: ConfigDuration.parse(healWindow)!,
                notifyFetchFailureAfter: config.notifyFetchFailureAfter
            )
            if let after = ProcessInfo.processInfo.environment["RECONCILER_NOTIFY_FETCH_FAILURE_AFTER"]
                .flatMap(ConfigDuration.parse)
            {
                options.notifyFetchFailureAfter = after
            }
            let engine = ReconcilerEngine(
                reconciler: reconciler,
                stateDirectory: stateDirectory,
                docker: .fromEnvironment(),
                logger: logger
            )
            let daemon = Daemon(
                engine: engine,
                settings: .init(
                    stateDirectory: stateDirectory,
                    listen: listen ?? config.webhook?.listen ?? "127.0.0.1:9876",
                    secret: secret,
                    options: options,
                    version: ReconcilerVersion.current,
                    limits: limits
                ),
                notifier: Notifications.make(config: config, logger: logger),
                logger: logger,
                forge: forge
            )
            try await daemon.run()
            return 0
        }
    }
}

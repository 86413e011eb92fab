import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ReconcilerCore
import ServiceLifecycle

/// `reconciler run` assembled: the poll loop, the HTTP server and the trigger socket as services of one
/// `ServiceGroup`, shut down gracefully on SIGTERM/SIGINT.
package struct Daemon: Sendable {
    package struct Settings: Sendable {
        package var stateDirectory: String
        /// `host:port` of the HTTP server.
        package var listen: String
        /// The webhook secret; nil disables the webhook routes (polling only).
        package var secret: [UInt8]?
        package var options: DaemonOptions
        package var version: String
        /// Connection caps and deadlines of the HTTP servers (``ConnectionLimits/forThisProcess()`` in the daemon).
        package var limits: ConnectionLimits

        package init(
            stateDirectory: String,
            listen: String,
            secret: [UInt8]?,
            options: DaemonOptions,
            version: String,
            limits: ConnectionLimits = .forFileLimit(1024, open: 32)
        ) {
            self.stateDirectory = stateDirectory
            self.listen = listen
            self.secret = secret
            self.options = options
            self.version = version
            self.limits = limits
        }
    }

    package let engine: any DeployEngine
    package let settings: Settings
    package let notifier: any NotificationSink
    package let logger: Logger
    package let wakeup = Wakeup()
    package let state: DaemonState
    package let metrics: DaemonMetrics
    package let view: StatusView

    /// - Parameters:
    ///   - forge: Sets commit statuses from the deployments' events (`forge`), counted in the daemon's metrics.
    package init(
        engine: any DeployEngine,
        settings: Settings,
        notifier: any NotificationSink,
        logger: Logger,
        forge: ForgeStatuses? = nil
    ) {
        self.engine = engine
        self.settings = settings
        self.notifier = forge.map { ForgeStatusSink(notifier, statuses: $0) as any NotificationSink } ?? notifier
        self.logger = logger
        self.state = DaemonState(
            DaemonSnapshot(
                startedAt: Date(),
                pollInterval: settings.options.pollInterval,
                healWindow: settings.options.healWindow
            )
        )
        let metrics = DaemonMetrics(version: settings.version)
        self.metrics = metrics
        forge?.onFailure { metrics.forgeStatusFailed() }
        self.view = StatusView(engine: engine)
    }

    /// The HTTP routes (also what the route tests drive).
    package func router() -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        StatusRoutes(engine: engine, view: view, state: state, metrics: metrics, logger: logger).add(to: router)
        DeploymentRoutes(engine: engine).add(to: router)
        if let secret = settings.secret {
            let engine = self.engine
            WebhookRoutes(
                verifier: WebhookVerifier(secret: secret),
                wakeup: wakeup,
                metrics: metrics,
                state: state,
                branch: { (try? engine.currentConfig().branch) ?? "main" },
                logger: logger
            ).add(to: router)
        } else {
            router.post("/hooks/:provider") { _, _ -> Response in
                throw DaemonHTTPError(.notFound, "webhooks are off: set webhook.secretFile in the configuration")
            }
        }
        return router
    }

    package static func parseListen(_ listen: String) throws -> (host: String, port: Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw ReconcilerError(.configuration, "webhook.listen must be host:port, found \"\(listen)\"")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }

    /// Runs until SIGTERM/SIGINT.
    package func run() async throws {
        let (host, port) = try Self.parseListen(settings.listen)
        let socketPath = TriggerSocket.path(stateDirectory: settings.stateDirectory)
        // We hold the daemon lock, so a socket file left here is a dead daemon's.
        try? FileManager.default.removeItem(atPath: socketPath)
        let logger = self.logger
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        let limits = settings.limits
        let connections = ConnectionRegistry(limit: limits.connections)
        let http = Application(
            router: router(),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: connections)]
                )
            ),
            configuration: .init(
                address: .hostname(host, port: port),
                serverName: "reconciler",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.hardConnections, logger: quiet)
            ),
            onServerRunning: { channel in
                logger.notice(
                    "listening",
                    metadata: ["address": "\(channel.localAddress?.description ?? settings.listen)"]
                )
            },
            logger: quiet
        )
        let triggerConnections = ConnectionRegistry(limit: ConnectionLimits.triggerConnections)
        let trigger = Application(
            router: TriggerSocket.router(wakeup: wakeup, state: state),
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [ConnectionGuard(limits: limits, registry: triggerConnections)]
                )
            ),
            configuration: .init(
                address: .unixDomainSocket(path: socketPath),
                serverName: "reconciler-trigger",
                availableConnectionsDelegate: MaximumAvailableConnections(
                    ConnectionLimits.triggerConnections * 2,
                    logger: quiet
                )
            ),
            onServerRunning: { _ in
                chmod(socketPath, 0o600)
                logger.info("trigger socket ready", metadata: ["path": "\(socketPath)"])
            },
            logger: quiet
        )
        let loop = PollLoop(
            engine: engine,
            wakeup: wakeup,
            state: state,
            metrics: metrics,
            notifier: notifier,
            logger: logger,
            options: settings.options,
            view: view
        )
        // Graceful shutdown runs in reverse order: the loop stops first (finishing its step), then the servers.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: http),
                    .init(service: trigger),
                    .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: quiet
            )
        )
        logger.notice(
            "reconciler daemon starting",
            metadata: [
                "version": "\(settings.version)", "listen": "\(settings.listen)",
                "poll.interval.seconds": "\(Int(settings.options.pollInterval.seconds))",
                "webhooks": "\(settings.secret == nil ? "off" : "on")", "state.dir": "\(settings.stateDirectory)",
                "connections.max": "\(limits.connections)", "file.limit": "\(limits.fileLimit)",
                "files.reserved": "\(limits.reserved)",
            ]
        )
        try await group.run()
        try? FileManager.default.removeItem(atPath: socketPath)
        logger.notice("reconciler daemon stopped")
    }
}

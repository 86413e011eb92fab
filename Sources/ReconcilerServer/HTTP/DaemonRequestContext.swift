import Hummingbird
import NIOCore

/// The request context of the daemon's routes: Hummingbird's basics plus the peer address (for the bad-signature
/// limiter) and the 1 MiB body limit of webhooks.
package struct DaemonRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `local` for a unix socket and the router test mode.
    package let remoteAddress: String

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }

    package var maxUploadSize: Int { WebhookRoutes.maxBody }
}

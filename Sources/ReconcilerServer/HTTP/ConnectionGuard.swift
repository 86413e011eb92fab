import Logging
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The open connections of one server, oldest first. Past ``ConnectionLimits/connections`` a new connection closes
/// the oldest one, so a flood of idle or slow connections never keeps a new client (a forge, `/healthz`) waiting.
package final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        var closing = false
    }

    private struct State {
        var next = 0
        var open: [Int: Entry] = [:]
        var live = 0
        var evicted = 0
    }

    package let limit: Int
    private let state = Mutex(State())

    package init(limit: Int) {
        self.limit = limit
    }

    /// Registers a new connection; closes the oldest others while more than ``limit`` are open. Returns its id.
    func opened(_ channel: any Channel) -> Int {
        let (id, victims) = state.withLock { s -> (Int, [any Channel]) in
            let id = s.next
            s.next += 1
            s.open[id] = Entry(channel: channel)
            s.live += 1
            var victims: [any Channel] = []
            while s.live > limit {
                guard let oldest = s.open.filter({ !$0.value.closing && $0.key != id }).keys.min() else { break }
                s.open[oldest]?.closing = true
                s.live -= 1
                s.evicted += 1
                victims.append(s.open[oldest]!.channel)
            }
            return (id, victims)
        }
        for victim in victims { victim.close(promise: nil) }
        return id
    }

    func closed(_ id: Int) {
        state.withLock { s in
            guard let entry = s.open.removeValue(forKey: id) else { return }
            if !entry.closing { s.live -= 1 }
        }
    }

    /// Connections open now (not counting those being closed), and how many were closed to make room.
    package var counts: (open: Int, evicted: Int) { state.withLock { ($0.live, $0.evicted) } }
}

/// Per-connection deadlines: the request head within ``ConnectionLimits/headerTimeout`` of the connection opening or
/// of the last answer (so an idle keep-alive connection closes too), the body within
/// ``ConnectionLimits/bodyTimeout`` of the head. While the daemon works on an answer no deadline runs. Sits after
/// Hummingbird's HTTP/1 decoder, so a head that never completes never resets the clock.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private let registry: ConnectionRegistry
    private var id: Int?
    private var timer: Scheduled<Void>?
    /// Requests read in full and not yet answered.
    private var answering = 0
    private var readingBody = false

    init(limits: ConnectionLimits, registry: ConnectionRegistry) {
        self.limits = limits
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { activate(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelActive(context: ChannelHandlerContext) {
        activate(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        if let id { registry.closed(id) }
        id = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingBody = true
            arm(context, limits.bodyTimeout)
        case .body:
            break
        case .end:
            readingBody = false
            answering += 1
            disarm()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            answering = max(0, answering - 1)
            if answering == 0, !readingBody { arm(context, limits.headerTimeout) }
        }
        context.write(data, promise: promise)
    }

    private func activate(_ context: ChannelHandlerContext) {
        guard id == nil else { return }
        id = registry.opened(context.channel)
        arm(context, limits.headerTimeout)
    }

    private func arm(_ context: ChannelHandlerContext, _ timeout: Duration) {
        disarm()
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            context.close(promise: nil)
        }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}

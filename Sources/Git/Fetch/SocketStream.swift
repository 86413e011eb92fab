import CLibGit2
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TCP stream libgit2 uses for `ssh://`, `http://` and (under TLS) `https://` remotes, replacing its own so
/// that a fetch cannot hang past its deadline. libgit2 1.5 has no socket timeouts of its own (they came in 1.7).
///
/// - connect is non-blocking and bounded by the fetch's remaining time;
/// - each connected socket is registered with its `FetchSession`, whose watchdog shuts the socket down at the
///   deadline: that wakes a `recv` blocked here *and* libssh2's own `poll`/`recv` on the same descriptor (the
///   SSH transport hands the raw socket to libssh2, which is why `reconciler_socket_stream` mirrors libgit2's
///   private `git_socket_stream` layout, see shim.h).
///
/// Left to the OS: name resolution (`getaddrinfo`, bounded by the resolver's own timeouts) runs before the
/// deadline is checked again.
enum SocketStream {
    private typealias Stream = UnsafeMutablePointer<reconciler_socket_stream>

    static func register() {
        var registration = git_stream_registration()
        registration.version = GIT_STREAM_VERSION
        registration.`init` = { out, host, port in
            guard let out, let host, let port else { return -1 }
            return SocketStream.create(out, host, port)
        }
        registration.wrap = nil
        // libgit2 copies the registration.
        git_stream_register(GIT_STREAM_STANDARD, &registration)
    }

    private static func create(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_stream>?>,
        _ host: UnsafePointer<CChar>,
        _ port: UnsafePointer<CChar>
    ) -> Int32 {
        guard let raw = calloc(1, MemoryLayout<reconciler_socket_stream>.size) else {
            setLibgit2Error(GIT_ERROR_NOMEMORY, "out of memory")
            return -1
        }
        let st = raw.assumingMemoryBound(to: reconciler_socket_stream.self)
        st.pointee.parent.version = GIT_STREAM_VERSION
        st.pointee.parent.encrypted = 0
        st.pointee.parent.proxy_support = 0
        st.pointee.parent.connect = { stream in SocketStream.open(SocketStream.of(stream)) }
        st.pointee.parent.read = { stream, buffer, length in
            SocketStream.receive(SocketStream.of(stream), buffer, length)
        }
        st.pointee.parent.write = { stream, data, length, _ in
            SocketStream.send(SocketStream.of(stream), data, length)
        }
        st.pointee.parent.close = { stream in SocketStream.shut(SocketStream.of(stream)) }
        st.pointee.parent.free = { stream in SocketStream.destroy(SocketStream.of(stream)) }
        st.pointee.host = strdup(host)
        st.pointee.port = strdup(port)
        st.pointee.s = -1
        if let session = FetchRegistry.current() {
            st.pointee.context = Unmanaged.passRetained(session).toOpaque()
        }
        out.pointee = UnsafeMutableRawPointer(st).assumingMemoryBound(to: git_stream.self)
        return 0
    }

    private static func of(_ stream: UnsafeMutablePointer<git_stream>?) -> Stream {
        UnsafeMutableRawPointer(stream!).assumingMemoryBound(to: reconciler_socket_stream.self)
    }

    private static func session(_ st: Stream) -> FetchSession? {
        st.pointee.context.map { Unmanaged<FetchSession>.fromOpaque($0).takeUnretainedValue() }
    }

    private static func open(_ st: Stream) -> Int32 {
        let session = session(st)
        let host = String(cString: st.pointee.host)
        let port = String(cString: st.pointee.port)
        if let session, !session.checkDeadline() { return -1 }

        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var info: UnsafeMutablePointer<addrinfo>?
        let gai = getaddrinfo(st.pointee.host, st.pointee.port, &hints, &info)
        guard gai == 0 else {
            setLibgit2Error(
                GIT_ERROR_NET,
                "failed to resolve address for \(host): \(String(cString: gai_strerror(gai)))"
            )
            return -1
        }
        defer { freeaddrinfo(info) }

        var lastError: Int32 = 0
        var candidate = info
        while let ai = candidate {
            candidate = ai.pointee.ai_next
            #if canImport(Glibc)
            let type = ai.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue)
            #else
            let type = ai.pointee.ai_socktype
            #endif
            let fd = socket(ai.pointee.ai_family, type, ai.pointee.ai_protocol)
            if fd < 0 {
                lastError = errno
                continue
            }
            switch connectBounded(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen, session) {
            case .connected:
                if let session, !session.register(fd) {
                    systemClose(fd)
                    setLibgit2Error(GIT_ERROR_NET, "timed out connecting to \(host):\(port)")
                    return -1
                }
                st.pointee.s = fd
                return 0
            case .failed(let error):
                lastError = error
                _ = systemClose(fd)
            case .timedOut:
                _ = systemClose(fd)
                session?.markTimedOut()
                setLibgit2Error(GIT_ERROR_NET, "timed out connecting to \(host):\(port)")
                return -1
            }
        }
        setLibgit2Error(GIT_ERROR_NET, "failed to connect to \(host):\(port): \(String(cString: strerror(lastError)))")
        return -1
    }

    private enum ConnectResult {
        case connected
        case failed(Int32)
        case timedOut
    }

    /// A non-blocking connect waited for until the session's deadline (or forever without a session); the socket
    /// is blocking again afterwards.
    private static func connectBounded(
        _ fd: Int32,
        _ address: UnsafeMutablePointer<sockaddr>?,
        _ length: socklen_t,
        _ session: FetchSession?
    ) -> ConnectResult {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return .failed(errno) }
        if systemConnect(fd, address, length) != 0 {
            guard errno == EINPROGRESS else { return .failed(errno) }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            while true {
                let wait = session.map { Int32(clamping: $0.remainingMilliseconds) } ?? -1
                if wait == 0 { return .timedOut }
                let n = poll(&pfd, 1, wait)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return .failed(errno) }
                if n == 0 { return .timedOut }
                break
            }
            var soError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size) == 0 else { return .failed(errno) }
            if soError != 0 { return .failed(soError) }
        }
        guard fcntl(fd, F_SETFL, flags) == 0 else { return .failed(errno) }
        return .connected
    }

    private static func receive(
        _ st: Stream,
        _ buffer: UnsafeMutableRawPointer?,
        _ length: Int
    ) -> Int {
        while true {
            let n = recv(st.pointee.s, buffer, length, 0)
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                report(st, "could not read from socket", errno)
            } else if n == 0, let session = session(st), session.timedOut {
                // The watchdog's shutdown looks like the peer closing the connection.
                report(st, "could not read from socket", ETIMEDOUT)
                return -1
            }
            return n
        }
    }

    private static func send(
        _ st: Stream,
        _ data: UnsafePointer<CChar>?,
        _ length: Int
    ) -> Int {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        while true {
            let n = systemSend(st.pointee.s, data, length, flags)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { report(st, "could not write to socket", errno) }
            return n
        }
    }

    private static func report(_ st: Stream, _ what: String, _ error: Int32) {
        let host = String(cString: st.pointee.host)
        if let session = session(st), session.timedOut {
            setLibgit2Error(GIT_ERROR_NET, "\(what) (\(host)): timed out")
        } else {
            setLibgit2Error(GIT_ERROR_NET, "\(what) (\(host)): \(String(cString: strerror(error)))")
        }
    }

    private static func shut(_ st: Stream) -> Int32 {
        let fd = st.pointee.s
        guard fd >= 0 else { return 0 }
        // Unregister before closing, so the watchdog never shuts down a reused descriptor number.
        session(st)?.unregister(fd)
        st.pointee.s = -1
        return systemClose(fd)
    }

    private static func destroy(_ st: Stream) {
        if st.pointee.s >= 0 { _ = shut(st) }
        if let context = st.pointee.context {
            Unmanaged<FetchSession>.fromOpaque(context).release()
        }
        systemFree(st.pointee.host)
        systemFree(st.pointee.port)
        systemFree(st)
    }
}

// The C functions under names the stream's own functions do not shadow.
private func systemConnect(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}
@discardableResult private func systemClose(_ fd: Int32) -> Int32 { close(fd) }
private func systemFree(_ p: UnsafeMutableRawPointer?) { free(p) }
private func systemSend(_ fd: Int32, _ data: UnsafeRawPointer?, _ length: Int, _ flags: Int32) -> Int {
    send(fd, data, length, flags)
}

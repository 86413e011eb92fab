import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct SocketError: Error, CustomStringConvertible {
    let what: String
    let code: Int32
    var description: String { "\(what): \(String(cString: strerror(code)))" }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks.
private func boundSocket() throws -> (fd: Int32, port: Int) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    guard fd >= 0 else { throw SocketError(what: "socket", code: errno) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else {
        close(fd)
        throw SocketError(what: "bind", code: errno)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port on 127.0.0.1 nothing listens on (it was free a moment ago).
func closedPort() throws -> Int {
    let (fd, port) = try boundSocket()
    close(fd)
    return port
}

/// A listener on 127.0.0.1 that never accepts and never answers: connections complete in the kernel's backlog
/// and then hear nothing, like a wedged server.
final class SilentListener {
    let port: Int
    private let fd: Int32

    init() throws {
        let (fd, port) = try boundSocket()
        guard listen(fd, 16) == 0 else {
            close(fd)
            throw SocketError(what: "listen", code: errno)
        }
        self.fd = fd
        self.port = port
    }

    func stop() { close(fd) }
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
func waitForPort(_ port: Int, timeout: Duration) -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        close(fd)
        if rc == 0 { return true }
        usleep(50_000)
    }
    return false
}

/// An HTTP server on 127.0.0.1 that answers every request with `401 Unauthorized` (Basic), like a forge refusing
/// a token, and remembers the `Authorization` headers it was sent.
final class UnauthorizedHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var _authorizations: [String] = []
    private var _requests = 0

    var authorizations: [String] { lock.withLock { _authorizations } }
    var requests: Int { lock.withLock { _requests } }

    init() throws {
        let (fd, port) = try boundSocket()
        guard listen(fd, 16) == 0 else {
            close(fd)
            throw SocketError(what: "listen", code: errno)
        }
        self.fd = fd
        self.port = port
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }  // stopped
            var request = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let n = recv(client, &buffer, buffer.count, 0)
                if n <= 0 { break }
                request += buffer[0..<n]
            }
            let text = String(decoding: request, as: UTF8.self)
            lock.withLock {
                _requests += 1
                for line in text.split(separator: "\r\n") where line.lowercased().hasPrefix("authorization:") {
                    _authorizations.append(line.dropFirst("authorization:".count).trimmingCharacters(in: .whitespaces))
                }
            }
            let response =
                "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n"
                + "Content-Length: 0\r\nConnection: close\r\n\r\n"
            _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

extension Array where Element == UInt8 {
    fileprivate func ends(with suffix: [UInt8]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}

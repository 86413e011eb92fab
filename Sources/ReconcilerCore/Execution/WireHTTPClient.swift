import Foundation
import Glibc

/// A response read off the wire by ``WireHTTPClient``.
package struct WireHTTPResponse: Sendable {
    package let status: Int
    /// Header names lower-cased.
    package let headers: [String: String]
    package let body: Data

    package var text: String { String(decoding: body, as: UTF8.self) }
}

/// What went wrong talking HTTP over a socket; `message` never holds a request body.
package struct WireHTTPError: Error, Sendable, CustomStringConvertible {
    package let endpoint: String
    package let message: String

    package init(endpoint: String, message: String) {
        self.endpoint = endpoint
        self.message = message
    }

    package var description: String { "\(endpoint): \(message)" }
}

/// A deliberately tiny HTTP/1.1 client over a unix socket or a plain TCP connection: one request per connection,
/// `Connection: close`, `Content-Length` or chunked responses. It is what the daemon uses for the Docker Engine API
/// (one request per poll instead of a `docker` process), for `reconciler trigger`, and for `http://` notifications.
package struct WireHTTPClient: Sendable {
    package enum Endpoint: Sendable, CustomStringConvertible {
        case unix(path: String)
        case tcp(host: String, port: Int)

        package var description: String {
            switch self {
            case .unix(let path): "unix://\(path)"
            case .tcp(let host, let port): "\(host):\(port)"
            }
        }
    }

    package let endpoint: Endpoint
    package let timeout: Duration
    /// Responses larger than this are an error rather than a memory hog.
    package let maxResponseBytes: Int

    package init(_ endpoint: Endpoint, timeout: Duration = .seconds(10), maxResponseBytes: Int = 16 << 20) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// Sends one request and reads the whole response. Blocking; callers run it off the cooperative pool when it
    /// matters (it is bounded by `timeout` on every read and write).
    package func send(
        method: String,
        path: String,
        headers: [(String, String)] = [],
        body: Data = Data()
    ) throws(WireHTTPError) -> WireHTTPResponse {
        // A request line or header that holds a line break (or a space in the target) would let its text write
        // more headers or a second request: refused before anything is sent.
        guard !path.isEmpty, !path.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw WireHTTPError(
                endpoint: endpoint.description,
                message: "the request target holds a control character or a space"
            )
        }
        for (name, value) in headers
        where "\(name)\(value)".utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            throw WireHTTPError(endpoint: endpoint.description, message: "header `\(name)` holds a line break")
        }
        let fd = try connect()
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        head += "User-Agent: reconciler\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try write(fd, Data(head.utf8) + body)
        let raw = try readAll(fd)
        return try Self.parse(raw, endpoint: endpoint.description)
    }

    private var hostHeader: String {
        switch endpoint {
        case .unix: "localhost"
        case .tcp(let host, let port): port == 80 ? host : "\(host):\(port)"
        }
    }

    private func fail(_ message: String) -> WireHTTPError {
        WireHTTPError(endpoint: endpoint.description, message: message)
    }

    private func connect() throws(WireHTTPError) -> Int32 {
        switch endpoint {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw fail("socket(): \(String(cString: strerror(errno)))") }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
                close(fd)
                throw fail("socket path too long")
            }
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            setTimeouts(fd)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if result != 0 {
                let message = String(cString: strerror(errno))
                close(fd)
                throw fail("cannot connect: \(message)")
            }
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let status = getaddrinfo(host, String(port), &hints, &list)
            guard status == 0, let first = list else {
                throw fail("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
            }
            defer { freeaddrinfo(list) }
            var lastError = "no address"
            var entry: UnsafeMutablePointer<addrinfo>? = first
            while let info = entry {
                let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
                if fd >= 0 {
                    setTimeouts(fd)
                    if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                    lastError = String(cString: strerror(errno))
                    close(fd)
                }
                entry = info.pointee.ai_next
            }
            throw fail("cannot connect: \(lastError)")
        }
    }

    private func setTimeouts(_ fd: Int32) {
        let (seconds, attoseconds) = timeout.components
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    private func write(_ fd: Int32, _ data: Data) throws(WireHTTPError) {
        var offset = 0
        let bytes = [UInt8](data)
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    private func readAll(_ fd: Int32) throws(WireHTTPError) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { throw fail("no answer within \(timeout)") }
                throw fail("read failed: \(String(cString: strerror(errno)))")
            }
            result.append(contentsOf: buffer[0..<n])
            if result.count > maxResponseBytes { throw fail("response larger than \(maxResponseBytes) bytes") }
        }
        return result
    }

    /// Parses a complete HTTP/1.1 response (status line, headers, body by length, chunks or connection close).
    package static func parse(_ raw: [UInt8], endpoint: String) throws(WireHTTPError) -> WireHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = raw.firstRange(of: separator) else {
            throw WireHTTPError(endpoint: endpoint, message: "malformed response: no end of headers")
        }
        let headText = String(decoding: raw[..<headEnd.lowerBound], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw WireHTTPError(endpoint: endpoint, message: "malformed status line")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces
            )
        }
        var body = Array(raw[headEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try dechunk(body, endpoint: endpoint)
        } else if let length = headers["content-length"].flatMap(Int.init), length <= body.count {
            body = Array(body[..<length])
        }
        return WireHTTPResponse(status: status, headers: headers, body: Data(body))
    }

    private static func dechunk(_ data: [UInt8], endpoint: String) throws(WireHTTPError) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        let crlf: [UInt8] = [13, 10]
        while index < data.count {
            guard let lineEnd = data[index...].firstRange(of: crlf) else { break }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            let sizeField = sizeText.split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeField.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw WireHTTPError(endpoint: endpoint, message: "malformed chunk size")
            }
            if size == 0 { break }
            let start = lineEnd.upperBound
            guard start + size <= data.count else {
                throw WireHTTPError(endpoint: endpoint, message: "truncated chunk")
            }
            out.append(contentsOf: data[start..<start + size])
            index = start + size + 2
        }
        return out
    }
}

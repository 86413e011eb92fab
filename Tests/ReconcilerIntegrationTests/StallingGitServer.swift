import Foundation
import ReconcilerTesting

#if canImport(Glibc)
import Glibc
#endif

/// A smart-HTTP git server on 127.0.0.1 for one bare repository that stalls a fetch half-way through the pack: it
/// answers the ref advertisement and the negotiation with the real `git upload-pack`, then sends the first half of
/// the response that carries the pack and says nothing more, so the fetch is in flight — objects arriving — for as
/// long as the test wants. With `repository` nil it stalls at once, on the first request.
final class StallingGitServer: @unchecked Sendable {
    let port: Int
    private let repository: String?
    private let fd: Int32
    private let lock = NSLock()
    private var _requests: [String] = []
    private var _packBytesSent = 0
    private var clients: [Int32] = []

    /// The request lines received (`GET /homelab.git/info/refs?service=git-upload-pack HTTP/1.1`).
    var requests: [String] { lock.withLock { _requests } }
    /// How many bytes of the pack response were sent before the stall (0 until then).
    var packBytesSent: Int { lock.withLock { _packBytesSent } }

    init(repository: String? = nil) throws {
        self.repository = repository
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard fd >= 0, bound else {
            close(fd)
            throw WaitTimeout(description: "cannot listen on 127.0.0.1: \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        for client in lock.withLock({ clients }) {
            shutdown(client, Int32(SHUT_RDWR))
            close(client)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            lock.withLock { clients.append(client) }
            Thread { [self] in serve(client) }.start()
        }
    }

    /// Answers the requests of one connection (libgit2 keeps it alive between them) until it stalls.
    private func serve(_ client: Int32) {
        var connection = Connection(fd: client)
        while let request = connection.readRequest() {
            lock.withLock { _requests.append(request.line) }
            guard let repository else { return }  // stall at once
            if request.line.hasPrefix("GET ") && request.line.contains("/info/refs?service=git-upload-pack") {
                guard
                    let refs = try? Command.run([
                        "git", "upload-pack", "--stateless-rpc", "--advertise-refs", repository,
                    ]), refs.status == 0
                else { return }
                let header = Array("# service=git-upload-pack\n".utf8)
                let body =
                    Array(String(format: "%04x", header.count + 4).utf8) + header + Array("0000".utf8)
                    + Array(refs.stdout.utf8)
                connection.send(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement\r\n"
                        + "Cache-Control: no-cache\r\nContent-Length: \(body.count)\r\n\r\n",
                    body
                )
            } else if request.line.hasPrefix("POST ") && request.line.contains("/git-upload-pack") {
                guard let answer = uploadPack(request.body, repository: repository) else { return }
                let type = "Content-Type: application/x-git-upload-pack-result\r\nCache-Control: no-cache\r\n"
                guard answer.contains(Array("PACK".utf8)) else {
                    connection.send("HTTP/1.1 200 OK\r\n\(type)Content-Length: \(answer.count)\r\n\r\n", answer)
                    continue
                }
                // The pack: promise it all, send half, then nothing.
                let half = Array(answer.prefix(answer.count / 2))
                connection.send("HTTP/1.1 200 OK\r\n\(type)Content-Length: \(answer.count)\r\n\r\n", half)
                lock.withLock { _packBytesSent = half.count }
                return
            } else {
                connection.send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", [])
            }
        }
    }

    /// `git upload-pack --stateless-rpc` on the request body.
    private func uploadPack(_ body: [UInt8], repository: String) -> [UInt8]? {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
            FileManager.default.createFile(atPath: "\(directory)/in", contents: Data(body)),
            let child = try? SpawnedProcess(
                ["git", "upload-pack", "--stateless-rpc", repository],
                stdin: "\(directory)/in",
                stdout: "\(directory)/out"
            ),
            child.wait() == 0,
            let out = FileManager.default.contents(atPath: "\(directory)/out")
        else { return nil }
        return [UInt8](out)
    }
}

/// One HTTP/1.1 connection: requests in (Content-Length or chunked bodies), responses out.
private struct Connection {
    let fd: Int32
    var buffer: [UInt8] = []

    struct Request {
        let line: String
        let body: [UInt8]
    }

    mutating func readRequest() -> Request? {
        guard let head = read(until: Array("\r\n\r\n".utf8)) else { return nil }
        let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        var body: [UInt8] = []
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard let bytes = read(count: length) else { return nil }
            body = bytes
        } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                guard let sizeLine = read(until: Array("\r\n".utf8)),
                    let size = Int(String(decoding: sizeLine, as: UTF8.self), radix: 16)
                else { return nil }
                guard let chunk = read(count: size + 2) else { return nil }
                if size == 0 { break }
                body += chunk.prefix(size)
            }
        }
        return Request(line: lines.first ?? "", body: body)
    }

    /// The bytes up to `delimiter` (dropped), or nil when the peer closes first.
    private mutating func read(until delimiter: [UInt8]) -> [UInt8]? {
        while true {
            if let end = find(delimiter) {
                let found = Array(buffer[..<end])
                buffer.removeFirst(end + delimiter.count)
                return found
            }
            guard fill() else { return nil }
        }
    }

    private mutating func read(count: Int) -> [UInt8]? {
        while buffer.count < count {
            guard fill() else { return nil }
        }
        let found = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return found
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        for i in 0...(buffer.count - needle.count) where Array(buffer[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    func send(_ head: String, _ body: [UInt8]) {
        let bytes = Array(head.utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

extension Array where Element == UInt8 {
    fileprivate func contains(_ needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        for i in 0...(count - needle.count) where Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}

import Foundation
import ReconcilerTesting

#if canImport(Glibc)
import Glibc
#endif

/// A plain-HTTP receiver on 127.0.0.1 that records each request's bytes exactly as they arrived (request line,
/// headers, body), so a test sees what went over the wire, not what a server library made of it. Answers 200.
final class RawHTTPReceiver {
    let directory: TemporaryDirectory
    let port: Int
    private let server: SpawnedProcess

    private static let script = #"""
        import base64, os, socket, sys
        folder = sys.argv[1]
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        with open(os.path.join(folder, "port.tmp"), "w") as f:
            f.write(str(listener.getsockname()[1]))
        os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
        while True:
            client, _ = listener.accept()
            client.settimeout(5)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head = data.split(b"\r\n\r\n", 1)[0]
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(data) - len(head) - 4 < length:
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            except Exception:
                pass
            client.close()
            with open(os.path.join(folder, "requests"), "a") as f:
                f.write(base64.b64encode(data).decode() + "\n")
        """#

    init() throws {
        directory = try TemporaryDirectory(prefix: "raw-receiver")
        let dir = directory.path
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: "\(dir)/server.py"))
        server = try SpawnedProcess(
            ["python3", "\(dir)/server.py", dir],
            stdout: "\(dir)/server.log",
            stderr: "\(dir)/server.log"
        )
        guard let found = awaitPortFile(in: dir, of: server) else {
            directory.remove()
            throw TLSReceiver.StartFailure(description: "the raw HTTP test receiver did not start")
        }
        port = found
    }

    /// Every request received so far, in order, as the bytes that arrived.
    func requests() -> [String] {
        guard let text = try? String(contentsOfFile: directory.appending("requests"), encoding: .utf8) else {
            return []
        }
        return text.split(separator: "\n").map {
            String(decoding: Data(base64Encoded: String($0)) ?? Data(), as: UTF8.self)
        }
    }

    /// The requests, once there are at least `count`; fails the test (nil) when they do not come within `seconds`.
    func waitForRequests(_ count: Int, seconds: Double = 20) -> [String]? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let seen = requests()
            if seen.count >= count { return seen }
            usleep(20_000)
        }
        return nil
    }

    func stop() {
        server.kill(SIGTERM)
        _ = server.wait()
        directory.remove()
    }
}

/// The port a test receiver script writes to `<directory>/port` once it listens, or nil (the script killed) when it
/// exits or does not write it within six seconds.
func awaitPortFile(in directory: String, of server: SpawnedProcess) -> Int? {
    for _ in 0..<300 {
        if let text = try? String(contentsOfFile: "\(directory)/port", encoding: .utf8), let port = Int(text) {
            return port
        }
        guard server.isRunning else { break }
        usleep(20_000)
    }
    server.kill(SIGKILL)
    _ = server.wait()
    return nil
}

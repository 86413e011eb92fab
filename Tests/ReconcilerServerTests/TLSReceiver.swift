import Foundation
import ReconcilerTesting

#if canImport(Glibc)
import Glibc
#endif

/// A real HTTPS receiver on 127.0.0.1 for notification tests: Python's `http.server` behind `ssl`, with a throwaway CA
/// and server certificate made by `openssl` in a temp dir. It records every request (method, path, headers as sent,
/// body) and answers the status written in its `status` file (200 at first; a 3xx comes with a `Location`).
final class TLSReceiver {
    struct Request {
        let method: String
        let path: String
        let headers: [(String, String)]
        let body: Data
    }

    let directory: TemporaryDirectory
    let port: Int
    /// The CA that signed the server's certificate — or, for a receiver made with `signedByTheCA: false`, a CA that
    /// did not: the server's certificate is then self-signed.
    let caFile: String
    private let server: SpawnedProcess

    private static let script = #"""
        import base64, http.server, json, os, ssl, sys, time
        cert, key, folder = sys.argv[1], sys.argv[2], sys.argv[3]
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                listing = os.path.join(folder, "get")
                self.do_POST(open(listing, "rb").read() if os.path.exists(listing) else b"[]")
            def do_POST(self, reply=b"ok"):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                record = {"method": self.command, "path": self.path, "headers": self.headers.items(),
                          "body": base64.b64encode(body).decode()}
                with open(os.path.join(folder, "requests"), "a") as f:
                    f.write(json.dumps(record) + "\n")
                answer = open(os.path.join(folder, "status")).read()
                if answer == "hang":
                    time.sleep(3600)
                status = int(answer)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "https://127.0.0.1:%d/elsewhere" % self.server.server_address[1])
                self.send_header("Content-Length", str(len(reply)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(reply)
            do_PATCH = do_POST
            do_PUT = do_POST
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        with open(os.path.join(folder, "port.tmp"), "w") as f:
            f.write(str(server.server_address[1]))
        os.rename(os.path.join(folder, "port.tmp"), os.path.join(folder, "port"))
        server.serve_forever()
        """#

    init(signedByTheCA: Bool = true) throws {
        directory = try TemporaryDirectory(prefix: "tls-receiver")
        let dir = directory.path
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try Command.check(
            ["openssl", "req", "-x509"] + ec + [
                "-keyout", "\(dir)/ca.key", "-out", "\(dir)/ca.pem", "-days", "2", "-subj", "/CN=reconciler test CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ]
        )
        let names = "subjectAltName=IP:127.0.0.1,DNS:localhost"
        if signedByTheCA {
            try Command.check(
                ["openssl", "req"] + ec + [
                    "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=127.0.0.1",
                ]
            )
            try Data("\(names)\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/server.ext"))
            try Command.check([
                "openssl", "x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey",
                "\(dir)/ca.key", "-CAcreateserial", "-out", "\(dir)/server.pem", "-days", "2", "-extfile",
                "\(dir)/server.ext",
            ])
        } else {
            try Command.check(
                ["openssl", "req", "-x509"] + ec + [
                    "-keyout", "\(dir)/server.key", "-out", "\(dir)/server.pem", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-addext", names,
                ]
            )
        }
        caFile = "\(dir)/ca.pem"
        try Data("200".utf8).write(to: URL(fileURLWithPath: "\(dir)/status"))
        try Data(Self.script.utf8).write(to: URL(fileURLWithPath: "\(dir)/server.py"))
        server = try SpawnedProcess(
            ["python3", "\(dir)/server.py", "\(dir)/server.pem", "\(dir)/server.key", dir],
            stdout: "\(dir)/server.log",
            stderr: "\(dir)/server.log"
        )
        guard let found = awaitPortFile(in: dir, of: server) else {
            let log = (try? String(contentsOfFile: "\(dir)/server.log", encoding: .utf8)) ?? ""
            directory.remove()
            throw StartFailure(description: "the HTTPS test receiver did not start: \(log)")
        }
        port = found
    }

    /// The environment that makes curl trust this receiver's CA.
    var curlEnvironment: [String: String] { ["CURL_CA_BUNDLE": caFile] }

    func answer(_ status: Int) throws {
        try Data("\(status)".utf8).write(to: URL(fileURLWithPath: directory.appending("status")))
    }

    /// What a GET is answered with (a forge's list of comments), with the status in force.
    func listing(_ json: String) throws {
        try Data(json.utf8).write(to: URL(fileURLWithPath: directory.appending("get")))
    }

    /// Takes each request and never answers (a forge that hangs).
    func hang() throws {
        try Data("hang".utf8).write(to: URL(fileURLWithPath: directory.appending("status")))
    }

    /// Every request received so far, in order.
    func requests() throws -> [Request] {
        let file = directory.appending("requests")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            let pairs = (object["headers"] as? [[String]] ?? []).map { ($0[0], $0[1]) }
            return Request(
                method: object["method"] as? String ?? "",
                path: object["path"] as? String ?? "",
                headers: pairs,
                body: Data(base64Encoded: object["body"] as? String ?? "") ?? Data()
            )
        }
    }

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    func stop() {
        server.kill(SIGTERM)
        server.wait()
        directory.remove()
    }
}

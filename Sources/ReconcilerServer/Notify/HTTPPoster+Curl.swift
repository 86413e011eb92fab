import Foundation
import ReconcilerCore

#if canImport(Glibc)
import Glibc
#endif

/// `https://` notifications go through the `curl` program, so the daemon does not load FoundationNetworking (and with
/// it libcurl and a dozen more shared libraries) for the one request a deploy may send. The request travels on curl's
/// stdin as a ``CurlConfig``; its command line is `curl -q --config -` and nothing else.
extension HTTPPoster {
    /// Where curl is looked for when it is not on PATH (a systemd unit's PATH may be minimal).
    package static let curlFallbacks = ["/usr/bin/curl", "/run/current-system/sw/bin/curl"]

    func postWithCurl(_ url: URL, _ urlString: String, headers: [(String, String)], body: Data) async throws -> Int {
        let endpoint = Self.endpoint(url)
        guard let curl = locateCurl() else {
            let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? ""
            throw WireHTTPError(
                endpoint: endpoint,
                message: "https notifications need the `curl` program, which is neither on PATH (\(path)) nor at "
                    + "\(curlFallbacks.joined(separator: ", ")): install it (Debian: `apt-get install curl`; NixOS: "
                    + "add pkgs.curl to the service's path)"
            )
        }
        // Whatever curl says is masked before it reaches a message: the URL's path, query and user, header values.
        let masker = SecretMasker(Self.secrets(url, urlString, headers: headers))
        let config = CurlConfig(url: urlString, headers: headers, timeout: timeout)

        var bodyDirectory: String?
        defer { if let bodyDirectory { try? FileManager.default.removeItem(atPath: bodyDirectory) } }
        let input: [UInt8]
        if CurlConfig.canInline(body) {
            input = config.text(body: body)
        } else {
            let directory = try Self.privateDirectory(endpoint: endpoint)
            bodyDirectory = directory
            let file = "\(directory)/body"
            guard FileManager.default.createFile(atPath: file, contents: body, attributes: [.posixPermissions: 0o600])
            else { throw WireHTTPError(endpoint: endpoint, message: "cannot write the request body to \(file)") }
            input = config.text(body: body, bodyFile: file)
        }

        let runner = ProcessRunner(logger: logger, terminationGrace: .seconds(2), masker: masker)
        let result: ProcessResult
        do {
            result = try await runner.run(
                [curl, "-q", "--config", "-"],
                environment: environment,
                timeout: timeout + .seconds(5),
                stdoutLimit: 64,
                outputTailLimit: 8 << 10,
                input: input
            )
        } catch {
            throw WireHTTPError(endpoint: endpoint, message: "curl \(masker.mask(error.message))")
        }
        guard result.succeeded else {
            // `curl: (60) SSL certificate problem: …`; stdout (`000`) is in the tail too. Timings are dropped
            // (`… port 443 after 3 ms: …`): the same failure must read the same, as the Notifier logs it once an hour.
            let said = result.outputTail.split(whereSeparator: \.isNewline)
                .filter { $0.hasPrefix("curl: ") }
                .map { $0.dropFirst("curl: ".count).replacing(#/ after \d+ m(s|illiseconds)/#, with: "") }
                .joined(separator: "; ")
            throw WireHTTPError(
                endpoint: endpoint,
                message: "curl exited \(result.status)" + (said.isEmpty ? "" : ": \(said)")
            )
        }
        let printed = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let status = Int(printed), status > 0 else {
            throw WireHTTPError(endpoint: endpoint, message: "curl printed no HTTP status")
        }
        return status
    }

    /// The first executable `curl` on the PATH curl is given (else this process's), then in ``curlFallbacks``.
    func locateCurl() -> String? {
        let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? ""
        return ProcessRunner.executable(named: "curl", searchPath: path)
            ?? curlFallbacks.first(where: ProcessRunner.isExecutableFile)
    }

    /// `scheme://host[:port]`: all of a notification URL that a message may name (its path and query can hold a
    /// token: Discord's webhook path, an ntfy topic).
    static func endpoint(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? "?"
        let host = url.host.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }

    /// What must never appear in a message about posting to `url`.
    static func secrets(_ url: URL, _ urlString: String, headers: [(String, String)]) -> [String] {
        var values = [urlString, url.path, url.query ?? "", url.user ?? "", url.password ?? ""]
        values += url.path.split(separator: "/").map(String.init)
        if let start = urlString.range(of: "://").flatMap({ urlString[$0.upperBound...].firstIndex(of: "/") }) {
            values.append(String(urlString[start...]))
        }
        values += headers.map(\.1)
        return values
    }

    /// A new directory only this user can enter, under the temporary directory.
    private static func privateDirectory(endpoint: String) throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/reconciler-notify-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw WireHTTPError(
                endpoint: endpoint,
                message: "cannot make a temporary directory for the request body: \(String(cString: strerror(errno)))"
            )
        }
        return String(cString: made)
    }
}

import Foundation
import Logging
import ReconcilerCore

/// POSTs one notification: `http://` over the daemon's own small HTTP/1.1 client, `https://` through the `curl`
/// program (``postWithCurl(_:_:headers:body:)``). Errors name the receiver as `scheme://host` only: a notification
/// URL's path and query, and its header values, may hold tokens.
package struct HTTPPoster: Sendable {
    package let timeout: Duration
    /// Added to curl's environment (`CURL_CA_BUNDLE`, proxies); its `PATH`, when set, is where curl is looked for.
    package let environment: [String: String]
    /// Where curl is looked for after PATH.
    package let curlFallbacks: [String]
    let logger: Logger

    package init(
        timeout: Duration = .seconds(15),
        environment: [String: String] = [:],
        curlFallbacks: [String] = HTTPPoster.curlFallbacks,
        logger: Logger = Logger(label: "reconciler.notify")
    ) {
        self.timeout = timeout
        self.environment = environment
        self.curlFallbacks = curlFallbacks
        self.logger = logger
    }

    /// Sends `body` and returns the HTTP status.
    package func post(_ urlString: String, headers: [(String, String)], body: Data) async throws -> Int {
        guard let url = URL(string: urlString), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw WireHTTPError(endpoint: "notify", message: "not a URL")
        }
        if let problem = NotifyURL.problem(urlString) {
            throw WireHTTPError(endpoint: Self.endpoint(url), message: "the URL \(problem)")
        }
        let endpoint = Self.endpoint(url)
        for (name, value) in headers {
            guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0.isWhitespace || $0.isNewline }) else {
                throw WireHTTPError(endpoint: endpoint, message: "`\(name)` is not a header name")
            }
            guard !value.contains(where: \.isNewline), !value.contains("\0") else {
                throw WireHTTPError(endpoint: endpoint, message: "the value of header `\(name)` holds a line break")
            }
        }
        switch scheme {
        case "http":
            let path = Self.requestTarget(url)
            let client = WireHTTPClient(.tcp(host: host, port: url.port ?? 80), timeout: timeout)
            return try await Task.detached {
                try client.send(method: "POST", path: path, headers: headers, body: body).status
            }.value
        case "https":
            return try await postWithCurl(url, urlString, headers: headers, body: body)
        default:
            throw WireHTTPError(endpoint: endpoint, message: "only http:// and https:// receivers are supported")
        }
    }

    /// The request line's target for `url`: its path and query as they are written in the URL, percent-encoded
    /// (never decoded: `%0d%0a` stays text and cannot end the line), `/` when it has no path.
    static func requestTarget(_ url: URL) -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        var target = components?.percentEncodedPath ?? "/"
        if target.isEmpty { target = "/" }
        if let query = components?.percentEncodedQuery { target += "?\(query)" }
        return target
    }
}

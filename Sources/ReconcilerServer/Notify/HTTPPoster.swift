import Foundation
import ReconcilerCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// POSTs one notification: `http://` over the daemon's own small HTTP/1.1 client, `https://` through URLSession.
package struct HTTPPoster: Sendable {
    package let timeout: Duration

    package init(timeout: Duration = .seconds(15)) {
        self.timeout = timeout
    }

    /// Sends `body` and returns the HTTP status.
    package func post(_ urlString: String, headers: [(String, String)], body: Data) async throws -> Int {
        guard let url = URL(string: urlString), let scheme = url.scheme?.lowercased(), let host = url.host else {
            throw WireHTTPError(endpoint: "notify", message: "not a URL")
        }
        if scheme == "http" {
            var path = url.path.isEmpty ? "/" : url.path
            if let query = url.query { path += "?\(query)" }
            let client = WireHTTPClient(.tcp(host: host, port: url.port ?? 80), timeout: timeout)
            return try await Task.detached {
                try client.send(method: "POST", path: path, headers: headers, body: body).status
            }.value
        }
        var request = URLRequest(url: url, timeoutInterval: timeout.seconds)
        request.httpMethod = "POST"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }
}

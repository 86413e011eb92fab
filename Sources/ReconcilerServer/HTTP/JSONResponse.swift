import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ReconcilerCore

/// Small builders for the daemon's answers.
enum Reply {
    /// `value` encoded once (keys sorted, dates ISO 8601), with a final newline.
    /// - Parameter masked: False for a document whose free-text fields are masked already (``FreeTextMaskable``).
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, masked: Bool = true) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return raw(status, contentType: "application/json", data + Data("\n".utf8), masked: masked)
    }

    static func text(
        _ status: HTTPResponse.Status,
        _ text: String,
        contentType: String = "text/plain; charset=utf-8",
        masked: Bool = true
    )
        -> Response
    {
        raw(status, contentType: contentType, Data(text.utf8), masked: masked)
    }

    /// An HTML page, with the headers that keep it from being framed, sniffed or made to load anything but itself.
    static func html(_ status: HTTPResponse.Status, _ html: String, masked: Bool = true) -> Response {
        var response = raw(status, contentType: "text/html; charset=utf-8", Data(html.utf8), masked: masked)
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        return response
    }

    /// Every answer leaves through here. Free text (webhook replies, `/healthz`'s reason) is masked whole with the
    /// run's ``SecretMasker/shared``; a document the daemon renders itself (`/status`, the status page, `/metrics`)
    /// comes with `masked: false`, its free-text fields masked one by one, so unit ids stay whole.
    static func raw(_ status: HTTPResponse.Status, contentType: String, _ data: Data, masked: Bool = true) -> Response {
        let data = masked ? Data(SecretMasker.shared.mask(String(decoding: data, as: UTF8.self)).utf8) : data
        var headers = HTTPFields()
        headers[.contentType] = contentType
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The JSON of an error: `{"error": "..."}`.
struct ErrorAnswer: Codable, Sendable, Equatable {
    var error: String
}

/// An error the daemon answers with its status and `{"error": message}` (Hummingbird turns a thrown one into the
/// answer).
struct DaemonHTTPError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Reply.json(status, ErrorAnswer(error: message))
    }
}

extension HTTPField.Name {
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}

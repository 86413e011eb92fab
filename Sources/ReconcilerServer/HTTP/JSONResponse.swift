import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ReconcilerCore

/// Small builders for the daemon's answers.
enum Reply {
    /// `value` encoded once (keys sorted, dates ISO 8601), with a final newline.
    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"the answer could not be encoded"}"#.utf8)
        return raw(status, contentType: "application/json", data + Data("\n".utf8))
    }

    static func text(
        _ status: HTTPResponse.Status,
        _ text: String,
        contentType: String = "text/plain; charset=utf-8"
    )
        -> Response
    {
        raw(status, contentType: contentType, Data(text.utf8))
    }

    /// An HTML page, with the headers that keep it from being framed, sniffed or made to load anything but itself.
    static func html(_ status: HTTPResponse.Status, _ html: String) -> Response {
        var response = raw(status, contentType: "text/html; charset=utf-8", Data(html.utf8))
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[.xFrameOptions] = "DENY"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        return response
    }

    /// Every answer leaves through here, masked with the run's ``SecretMasker/shared`` (the status page, `/status`,
    /// webhook replies).
    static func raw(_ status: HTTPResponse.Status, contentType: String, _ data: Data) -> Response {
        let data = Data(SecretMasker.shared.mask(String(decoding: data, as: UTF8.self)).utf8)
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

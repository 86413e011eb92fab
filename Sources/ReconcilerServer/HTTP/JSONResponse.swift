import Foundation
import Hummingbird
import NIOCore
import ReconcilerCore

/// Small builders for the daemon's answers.
enum Reply {
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
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

import Foundation
import Hummingbird
import NIOCore
import ReconcilerCore

/// Small builders for the daemon's answers.
enum Reply {
    /// - Parameter masked: False for a document whose free-text fields are masked already (``FreeTextMaskable``).
    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], masked: Bool = true) -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
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

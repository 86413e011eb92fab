import Foundation
import ReconcilerCore

/// Reads `webhook.secretFile`. The daemon refuses to start on a missing, empty or group/other-readable file, and the
/// error says how to fix it. The secret itself never appears in a message.
package enum WebhookSecret {
    package static func load(_ path: String?) throws -> [UInt8] {
        let create =
            "Create one with: openssl rand -hex 32 > FILE; chmod 600 FILE (and give the same value to the forge)."
        guard let path else {
            throw ReconcilerError(
                .configuration,
                "webhook.secretFile is not set: reconciler run needs a secret to verify webhooks.\nSet \"webhook\": {\"secretFile\": \"/var/lib/reconciler/webhook.secret\"} in the host config or reconciler.json. \(create)"
            )
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ReconcilerError(
                .configuration,
                "the webhook secret file \(path) does not exist or cannot be read. \(create.replacingOccurrences(of: "FILE", with: path))"
            )
        }
        if info.st_mode & 0o077 != 0 {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw ReconcilerError(
                .configuration,
                "the webhook secret file \(path) is readable by group or others (mode \(mode)); refusing to start.\nFix it with: chmod 600 \(path)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReconcilerError(
                .configuration,
                "cannot read the webhook secret file \(path): check that the reconciler's user owns it."
            )
        }
        let trimmed = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw ReconcilerError(
                .configuration,
                "the webhook secret file \(path) is empty. \(create.replacingOccurrences(of: "FILE", with: path))"
            )
        }
        guard trimmed.utf8.count >= minimumBytes else {
            throw ReconcilerError(
                .configuration,
                "the webhook secret in \(path) is \(trimmed.utf8.count) bytes; at least \(minimumBytes) are needed to be hard to guess. \(create.replacingOccurrences(of: "FILE", with: path))"
            )
        }
        return Array(trimmed.utf8)
    }

    /// The shortest secret the daemon starts with.
    package static let minimumBytes = 16
}

import Foundation
import Hummingbird
import ReconcilerCore

/// `reconciler trigger`'s channel: HTTP over a unix socket in the state directory, mode 0600, so only the daemon's
/// user (and root) can ask for a poll.
package enum TriggerSocket {
    package static let fileName = "reconciler.sock"

    package static func path(stateDirectory: String) -> String { "\(stateDirectory)/\(fileName)" }

    /// The router the socket serves: `POST /trigger` asks the loop for a poll.
    package static func router(wakeup: Wakeup) -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        router.post("/trigger") { _, _ in
            let fresh = wakeup.request(.trigger)
            return Reply.json(.accepted, ["accepted": true, "poll": fresh ? "queued" : "already queued"])
        }
        return router
    }

    /// Asks the daemon to poll now. Throws a message for a person when no daemon listens.
    package static func send(stateDirectory: String, timeout: Duration = .seconds(10)) throws -> String {
        let path = path(stateDirectory: stateDirectory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ReconcilerError(
                .configuration,
                "no reconciler daemon is running for \(stateDirectory) (no socket at \(path)).\nStart it with `reconciler run` (or its systemd unit), or run `reconciler sync` for a one-shot deploy."
            )
        }
        let response: WireHTTPResponse
        do {
            response = try WireHTTPClient(.unix(path: path), timeout: timeout).send(method: "POST", path: "/trigger")
        } catch {
            throw ReconcilerError(
                .configuration,
                "no reconciler daemon answers on \(path) (\(error.message)).\nStart it with `reconciler run` (or its systemd unit), or run `reconciler sync` for a one-shot deploy."
            )
        }
        guard response.status == 202 else {
            throw ReconcilerError(
                .configuration,
                "the daemon refused the trigger: HTTP \(response.status) \(response.text)"
            )
        }
        return response.text
    }
}

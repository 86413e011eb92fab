import Foundation
import Hummingbird
import ReconcilerCore

/// `reconciler trigger`'s channel: HTTP over a unix socket in the state directory, mode 0600, so only the daemon's
/// user (and root) can ask for a poll.
package enum TriggerSocket {
    package static let fileName = "reconciler.sock"

    package static func path(stateDirectory: String) -> String { "\(stateDirectory)/\(fileName)" }

    /// The router the socket serves: `POST /trigger` asks the loop for a poll; `GET /daemon` is the daemon's
    /// snapshot for `reconciler status`.
    package static func router(wakeup: Wakeup, state: DaemonState) -> Router<DaemonRequestContext> {
        let router = Router(context: DaemonRequestContext.self)
        router.get("/daemon") { _, _ in
            Reply.json(.ok, state.snapshot.masked(by: .shared), masked: false)
        }
        router.post("/trigger") { _, _ in
            let fresh = wakeup.request(.trigger)
            return Reply.json(.accepted, PollAnswer(accepted: true, poll: fresh ? "queued" : "already queued"))
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

    /// One line for `reconciler status` about the running daemon, or nil when none answers.
    package static func statusLine(stateDirectory: String) -> String? {
        let path = path(stateDirectory: stateDirectory)
        guard FileManager.default.fileExists(atPath: path),
            let response = try? WireHTTPClient(.unix(path: path), timeout: .seconds(2)).send(
                method: "GET",
                path: "/daemon"
            ),
            response.status == 200
        else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let snapshot = try? decoder.decode(DaemonSnapshot.self, from: response.body) else { return nil }
        return line(snapshot)
    }

    static func line(_ s: DaemonSnapshot) -> String {
        var parts = ["running since \(s.startedAt.formatted(.iso8601))"]
        if let since = s.fetchFailingSince {
            parts.append("FETCH FAILING since \(since.formatted(.iso8601)) (\(s.fetchError ?? ""))")
            if let next = s.nextPollAt { parts.append("next try at \(next.formatted(.iso8601))") }
        } else if s.deploying {
            parts.append("polling or deploying now")
        } else if let next = s.nextPollAt {
            parts.append("next poll at \(next.formatted(.iso8601))")
        }
        let exhausted = s.healBudget.filter(\.value.exhausted).keys.sorted()
        if !exhausted.isEmpty { parts.append("heal budget exhausted: \(exhausted.joined(separator: ", "))") }
        return "daemon    " + parts.joined(separator: "; ")
    }
}

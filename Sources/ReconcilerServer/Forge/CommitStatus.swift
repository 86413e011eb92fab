import Foundation
import ReconcilerCore

/// A commit status as the reconciler means it, and the one request that sets it on each forge.
package struct CommitStatus: Sendable, Equatable {
    package enum State: String, Sendable {
        /// A deployment of the commit started.
        case pending
        /// It was deployed.
        case success
        /// It failed and was rolled back (or could not be deployed at all).
        case failure
        /// The reconciler is degraded, or an outage keeps the commit waiting.
        case error
    }

    package let state: State
    package let commit: String
    /// One line, at most ``descriptionLimit`` characters (GitHub refuses longer).
    package let description: String
    package let targetURL: String?

    /// GitHub's limit on a status description.
    package static let descriptionLimit = 140

    package init(state: State, commit: String, description: String, targetURL: String? = nil) {
        self.state = state
        self.commit = commit
        let line = description.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        self.description =
            line.count > Self.descriptionLimit ? String(line.prefix(Self.descriptionLimit - 1)) + "…" : line
        self.targetURL = targetURL
    }

    /// The status a deployment's outcome sets; nil for an outcome that deployed nothing.
    package static func finished(_ outcome: DeployOutcome, commit: String, targetURL: String?) -> CommitStatus? {
        let state: State
        let text: String
        switch outcome {
        case .nothingToDo: return nil
        case .succeeded: (state, text) = (.success, "deployed")
        case .rolledBack(let why): (state, text) = (.failure, "rolled back: \(why)")
        case .failed(let why), .invalid(let why): (state, text) = (.failure, "failed: \(why)")
        case .degraded(let why): (state, text) = (.error, "degraded: \(why)")
        case .outage(let why): (state, text) = (.error, "outage, the commit waits: \(why)")
        }
        return CommitStatus(state: state, commit: commit, description: text, targetURL: targetURL)
    }

    /// The request that sets this status: URL, headers (the token among them) and JSON body.
    /// - Parameters:
    ///   - host: This reconciler's host name: the status's context is `reconciler/<host>`.
    package func request(
        _ forge: ForgeSettings,
        host: String,
        token: String
    ) -> (
        url: String, headers: [(String, String)], body: Data
    ) {
        let context = "reconciler/\(host)"
        switch forge.kind {
        case .github, .gitea:
            let body = Body(
                state: state.rawValue,
                context: context,
                name: nil,
                description: description,
                targetURL: targetURL
            )
            var headers = [
                ("Content-Type", "application/json"),
                ("Authorization", forge.kind == .github ? "Bearer \(token)" : "token \(token)"),
            ]
            if forge.kind == .github {
                headers += [("Accept", "application/vnd.github+json"), ("X-GitHub-Api-Version", "2022-11-28")]
            } else {
                headers.append(("Accept", "application/json"))
            }
            return ("\(forge.apiURL)/repos/\(forge.repository)/statuses/\(commit)", headers, body.json)
        case .gitlab:
            // GitLab's states: pending, running, success, failed, canceled. A deployment under way is `running`.
            let gitlabState: String =
                switch state {
                case .pending: "running"
                case .success: "success"
                case .failure, .error: "failed"
                }
            let body = Body(
                state: gitlabState,
                context: nil,
                name: context,
                description: description,
                targetURL: targetURL
            )
            let project =
                forge.repository.addingPercentEncoding(
                    withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))
                ) ?? forge.repository
            return (
                "\(forge.apiURL)/projects/\(project)/statuses/\(commit)",
                [("Content-Type", "application/json"), ("PRIVATE-TOKEN", token)],
                body.json
            )
        }
    }

    private struct Body: Encodable {
        let state: String
        let context: String?
        let name: String?
        let description: String
        let targetURL: String?

        enum CodingKeys: String, CodingKey {
            case state, context, name, description
            case targetURL = "target_url"
        }

        var json: Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(self)) ?? Data("{}".utf8)
        }
    }
}

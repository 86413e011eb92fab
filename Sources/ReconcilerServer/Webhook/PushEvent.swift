import Foundation

/// What a verified delivery asks for. Pure: the route answers from it.
package enum WebhookDecision: Sendable, Equatable {
    /// A push to the watched branch: poll now. `commit` is the pushed head, when the payload says.
    case push(commit: String?)
    /// The forge checking the hook works (GitHub's `ping`).
    case ping
    /// Verified, but nothing to do, and why (another branch, a tag, a deletion, another event).
    case ignored(String)
    /// Not a payload this route understands.
    case invalid(String)
}

/// Reads the forge's event header and push payload.
package enum PushEvent {
    private static let zeros = String(repeating: "0", count: 40)

    /// - Parameters:
    ///   - provider: The route the delivery came in on.
    ///   - header: Case-insensitive header lookup.
    ///   - body: The raw body.
    ///   - branch: The branch the reconciler deploys.
    package static func decide(
        _ provider: WebhookProvider,
        header: (String) -> String?,
        body: [UInt8],
        branch: String
    ) -> WebhookDecision {
        let event: String?
        switch provider {
        case .github: event = header("X-GitHub-Event")
        case .gitea: event = header("X-Gitea-Event") ?? header("X-Forgejo-Event") ?? header("X-Gogs-Event")
        case .gitlab: event = header("X-Gitlab-Event")
        case .generic: event = nil
        }
        if provider == .generic, body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
            return .push(commit: nil)
        }
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
                return .invalid("the body is not a JSON object")
            }
            object = parsed
        } catch {
            return .invalid("the body is not JSON")
        }
        if let event {
            switch (provider, event.lowercased()) {
            case (.github, "ping"), (.gitea, "ping"): return .ping
            case (.github, "push"), (.gitea, "push"), (.gitlab, "push hook"): break
            case (.gitlab, "tag push hook"): return .ignored("a tag push, not a branch push")
            case (.gitlab, "system hook") where object["object_kind"] as? String == "push": break
            default: return .ignored("event \(event) is not a push")
            }
        } else if object["zen"] != nil || object["hook_id"] != nil, object["ref"] == nil {
            return .ping
        }
        if provider == .generic, object["ref"] == nil { return .push(commit: object["after"] as? String) }
        return push(object, branch: branch)
    }

    static func push(_ object: [String: Any], branch: String) -> WebhookDecision {
        guard let ref = object["ref"] as? String else { return .invalid("the push payload has no \"ref\"") }
        if ref.hasPrefix("refs/tags/") { return .ignored("a tag (\(ref)), not a branch push") }
        guard ref.hasPrefix("refs/heads/") else { return .ignored("\(ref) is not a branch") }
        let pushed = String(ref.dropFirst("refs/heads/".count))
        guard pushed == branch else { return .ignored("a push to branch \(pushed); this reconciler deploys \(branch)") }
        let after = object["after"] as? String
        if object["deleted"] as? Bool == true || after == zeros {
            return .ignored("branch \(pushed) was deleted")
        }
        return .push(commit: after ?? object["checkout_sha"] as? String)
    }
}

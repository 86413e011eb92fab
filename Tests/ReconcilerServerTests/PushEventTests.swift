import Foundation
import Testing

@testable import ReconcilerServer

struct PushEventTests {
    func headers(_ pairs: [String: String]) -> (String) -> String? {
        { name in pairs.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    @Test func githubPingIsAPing() throws {
        let body = try WebhookFixtures.bytes("github/ping-payload.json")
        #expect(
            PushEvent.decide(.github, header: headers(["X-GitHub-Event": "ping"]), body: body, branch: "main") == .ping
        )
        // Without the event header the payload still says what it is.
        #expect(PushEvent.decide(.github, header: headers([:]), body: body, branch: "main") == .ping)
    }

    @Test(arguments: ["push-payload.json", "push-1.payload.json"])
    func githubTagDeletionIsIgnored(_ name: String) throws {
        let body = try WebhookFixtures.bytes("github/\(name)")
        guard
            case .ignored(let why) = PushEvent.decide(
                .github,
                header: headers(["X-GitHub-Event": "push"]),
                body: body,
                branch: "main"
            )
        else {
            Issue.record("a tag deletion was not ignored")
            return
        }
        #expect(why.contains("tag"))
    }

    @Test func githubNewBranchPush() throws {
        let body = try WebhookFixtures.bytes("github/push-with-new-branch.payload.json")
        let event = headers(["X-GitHub-Event": "push"])
        guard case .ignored(let why) = PushEvent.decide(.github, header: event, body: body, branch: "main") else {
            Issue.record("a push to master was taken for main")
            return
        }
        #expect(why.contains("master") && why.contains("main"))
        #expect(
            PushEvent.decide(.github, header: event, body: body, branch: "master")
                == .push(commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246")
        )
    }

    @Test func otherGithubEventsAreIgnored() throws {
        let body = Array(#"{"action":"opened","number":1}"#.utf8)
        guard
            case .ignored = PushEvent.decide(
                .github,
                header: headers(["X-GitHub-Event": "pull_request"]),
                body: body,
                branch: "main"
            )
        else {
            Issue.record("a pull_request event was not ignored")
            return
        }
    }

    static let giteaPush = """
        {"ref":"refs/heads/main","before":"1111111111111111111111111111111111111111",
         "after":"2222222222222222222222222222222222222222","compare_url":"","commits":[],
         "repository":{"full_name":"op/homelab"},"pusher":{"login":"op"}}
        """

    @Test(arguments: ["X-Gitea-Event", "X-Forgejo-Event", "X-Gogs-Event"])
    func giteaPush(_ header: String) {
        #expect(
            PushEvent.decide(
                .gitea,
                header: headers([header: "push"]),
                body: Array(Self.giteaPush.utf8),
                branch: "main"
            )
                == .push(commit: "2222222222222222222222222222222222222222")
        )
    }

    static let gitlabPush = """
        {"object_kind":"push","event_name":"push","ref":"refs/heads/main",
         "before":"1111111111111111111111111111111111111111","after":"3333333333333333333333333333333333333333",
         "checkout_sha":"3333333333333333333333333333333333333333","project":{"path_with_namespace":"op/homelab"}}
        """

    @Test func gitlabPushTagAndDeletion() {
        let push = Array(Self.gitlabPush.utf8)
        #expect(
            PushEvent.decide(.gitlab, header: headers(["X-Gitlab-Event": "Push Hook"]), body: push, branch: "main")
                == .push(commit: "3333333333333333333333333333333333333333")
        )
        guard
            case .ignored = PushEvent.decide(
                .gitlab,
                header: headers(["X-Gitlab-Event": "Tag Push Hook"]),
                body: push,
                branch: "main"
            )
        else {
            Issue.record("a GitLab tag push was not ignored")
            return
        }
        let deletion = Array(
            Self.gitlabPush.replacingOccurrences(
                of: "\"after\":\"3333333333333333333333333333333333333333\"",
                with: "\"after\":\"0000000000000000000000000000000000000000\""
            ).utf8
        )
        #expect(
            PushEvent.decide(.gitlab, header: headers(["X-Gitlab-Event": "Push Hook"]), body: deletion, branch: "main")
                == .ignored("branch main was deleted")
        )
    }

    @Test func genericWithAndWithoutBody() {
        #expect(PushEvent.decide(.generic, header: headers([:]), body: [], branch: "main") == .push(commit: nil))
        #expect(
            PushEvent.decide(.generic, header: headers([:]), body: Array("{}".utf8), branch: "main")
                == .push(commit: nil)
        )
        guard
            case .ignored = PushEvent.decide(
                .generic,
                header: headers([:]),
                body: Array(#"{"ref":"refs/heads/dev"}"#.utf8),
                branch: "main"
            )
        else {
            Issue.record("a generic push to another branch was not ignored")
            return
        }
        guard
            case .invalid = PushEvent.decide(
                .generic,
                header: headers([:]),
                body: Array("not json".utf8),
                branch: "main"
            )
        else {
            Issue.record("a non-JSON body was accepted")
            return
        }
    }
}

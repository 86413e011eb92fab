import Foundation
import ReconcilerTesting
import Testing

/// contrib/ci/plan-comment.sh, the CI recipes' poster, against a local HTTPS forge: it finds its comment by the
/// plan's marker and updates it, or posts one; each forge's paths and token header; https only; the token never in
/// its output.
struct PlanCommentScriptTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib/ci/plan-comment.sh").path
    static let token = "plan-token-51c0ffee"

    func run(_ forge: String, _ receiver: TLSReceiver, repository: String, api: String? = nil) throws -> CommandResult {
        let plan = receiver.directory.appending("plan.md")
        try Data("<!-- reconciler-plan -->\n### Reconciler plan\n| a | b |\n".utf8).write(
            to: URL(fileURLWithPath: plan)
        )
        return try Command.run(
            [Self.script, forge, plan],
            environment: receiver.curlEnvironment.merging([
                "API_URL": api ?? "https://127.0.0.1:\(receiver.port)/api", "REPOSITORY": repository, "NUMBER": "3",
                "TOKEN": Self.token,
            ]) { _, b in b }
        )
    }

    func body(_ request: TLSReceiver.Request) -> String? {
        (try? JSONSerialization.jsonObject(with: request.body) as? [String: String])?["body"]
    }

    @Test(arguments: ["github", "gitea"])
    func anExistingPlanCommentIsUpdatedAndOtherwiseOneIsPosted(forge: String) throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        try receiver.listing(#"[{"id": 6, "body": "looks good"}, {"id": 5, "body": "<!-- reconciler-plan -->\nold"}]"#)
        let updated = try run(forge, receiver, repository: "owner/homelab")
        #expect(updated.status == 0, "\(updated.output)")
        #expect(updated.stdout == "updated the plan comment (5)\n")
        try receiver.listing("[]")
        let posted = try run(forge, receiver, repository: "owner/homelab")
        #expect(posted.stdout == "posted the plan comment\n", "\(posted.output)")

        let requests = try receiver.requests()
        #expect(
            requests.map { "\($0.method) \($0.path)" } == [
                "GET /api/repos/owner/homelab/issues/3/comments?per_page=100",
                "PATCH /api/repos/owner/homelab/issues/comments/5",
                "GET /api/repos/owner/homelab/issues/3/comments?per_page=100",
                "POST /api/repos/owner/homelab/issues/3/comments",
            ]
        )
        let authorization = forge == "github" ? "Bearer \(Self.token)" : "token \(Self.token)"
        for request in requests {
            #expect(request.headers.contains { $0.0.lowercased() == "authorization" && $0.1 == authorization })
        }
        #expect(body(requests[1]) == "<!-- reconciler-plan -->\n### Reconciler plan\n| a | b |\n")
        #expect(body(requests[3]) == body(requests[1]))
        #expect(!(updated.output + posted.output).contains(Self.token))
    }

    @Test func gitLabNotesAreFoundByProjectPathAndUpdatedWithPUT() throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        try receiver.listing(#"[{"id": 9, "body": "<!-- reconciler-plan -->\nold"}]"#)
        let result = try run("gitlab", receiver, repository: "group/sub/homelab")
        #expect(result.status == 0, "\(result.output)")
        let requests = try receiver.requests()
        #expect(
            requests.map { "\($0.method) \($0.path)" } == [
                "GET /api/projects/group%2Fsub%2Fhomelab/merge_requests/3/notes?per_page=100",
                "PUT /api/projects/group%2Fsub%2Fhomelab/merge_requests/3/notes/9",
            ]
        )
        #expect(
            requests.allSatisfy { $0.headers.contains { $0.0.lowercased() == "private-token" && $0.1 == Self.token } }
        )
    }

    @Test func aPlainHTTPForgeIsRefusedBeforeAnythingIsSent() throws {
        let receiver = try TLSReceiver()
        defer { receiver.stop() }
        let result = try run("github", receiver, repository: "o/r", api: "http://127.0.0.1:\(receiver.port)/api")
        #expect(result.status != 0)
        #expect(result.stderr.contains("API_URL must be https://"))
        #expect(try receiver.requests().isEmpty)
        #expect(!result.output.contains(Self.token))
    }
}

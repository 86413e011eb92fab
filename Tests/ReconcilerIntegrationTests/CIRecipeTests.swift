import Foundation
import ReconcilerTesting
import Testing

/// contrib/ci's recipes: each parses as YAML, and every command they run exists as written — the `reconciler plan`
/// lines are run as the CI runs them (sh, the job's variables) with the built binary on a fixture homelab, and must
/// print the reviewed plan; the comment script they call is there, executable, and valid sh.
struct CIRecipeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The recipe as JSON, through python3's yaml (PyYAML), as a YAML reader other than ours reads it.
    static func load(_ name: String) throws -> [String: Any] {
        let path = root.appendingPathComponent("contrib/ci/\(name)").path
        let json = try Command.check([
            "python3", "-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", path,
        ])
        return try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// Every shell script of the recipe: steps' `run` (Actions), `before_script` and `script` (GitLab).
    static func scripts(_ recipe: [String: Any]) -> [String] {
        var out: [String] = []
        for value in recipe.values {
            guard let job = value as? [String: Any] else { continue }
            if let jobs = job as? [String: [String: Any]] {
                for inner in jobs.values {
                    out += (inner["steps"] as? [[String: Any]] ?? []).compactMap { $0["run"] as? String }
                }
            }
            out += (job["before_script"] as? [String] ?? []) + (job["script"] as? [String] ?? [])
        }
        return out
    }

    @Test(arguments: ["github-actions.yml", "gitea-actions.yml", "gitlab-ci.yml"])
    func theRecipeParsesAndRunsThePlanAsWritten(name: String) throws {
        let recipe = try Self.load(name)
        let lines = Self.scripts(recipe).flatMap { $0.split(separator: "\n").map(String.init) }
        let plans = lines.filter { $0.contains("reconciler plan ") }
        try #require(plans.count == 1, "one plan command in \(name): \(lines)")
        #expect(plans[0].contains("--format markdown"))
        let comments = lines.filter { $0.contains("contrib/ci/plan-comment.sh") }
        #expect(comments.count == 1, "\(name) posts through plan-comment.sh")
        let script = Self.root.appendingPathComponent("contrib/ci/plan-comment.sh").path
        #expect(FileManager.default.isExecutableFile(atPath: script))
        #expect(try Command.run(["sh", "-n", script]).status == 0)

        // The plan line as the runner runs it: sh, in the checkout, with the job's variables set.
        let (fixture, from, to) = try PlanFixture.commits(hosts: false)
        defer { fixture.remove() }
        let bin = fixture.directory.appending("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: "\(bin)/reconciler",
            withDestinationPath: ReconcilerBinary.path
        )
        let git = try Command.check(["sh", "-c", "command -v git"]).trimmingCharacters(in: .whitespacesAndNewlines)
        try FileManager.default.createSymbolicLink(atPath: "\(bin)/git", withDestinationPath: git)
        let checkout = fixture.clone
        _ = try GitFixture.git(["checkout", "--quiet", "--detach", to], in: checkout)
        let result = try Command.run(
            [
                "/usr/bin/env", "-i", "PATH=\(bin):/usr/bin:/bin", "HOME=\(fixture.directory.path)",
                "GITHUB_WORKSPACE=\(checkout)", "GITHUB_SHA=\(to)", "BASE=\(from)", "HEAD=\(to)",
                "CI_PROJECT_DIR=\(checkout)", "CI_MERGE_REQUEST_DIFF_BASE_SHA=\(from)", "CI_COMMIT_SHA=\(to)",
                "GIT_CONFIG_GLOBAL=/dev/null", "sh", "-c", plans[0],
            ],
            in: checkout
        )
        #expect(result.status == 0, "\(plans[0]): \(result.output)")
        let written = try String(contentsOfFile: "\(checkout)/plan.md", encoding: .utf8)
        let expected = try String(
            contentsOf: PlanFixture.expected.appendingPathComponent("one-host.md"),
            encoding: .utf8
        )
        #expect(PlanFixture.masked(written, from: from, to: to) == expected)
    }
}

import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

/// `plan --from --to` from git alone, on real commits of a fixture homelab, byte-compared with the expected files in
/// Tests/Fixtures/plans (reviewed by hand; commit ids masked as `<from>` and `<to>`). Set
/// RECONCILER_UPDATE_PLAN_FIXTURES=1 to rewrite them, then read the diff before committing it.
@Suite struct PlanMarkdownTests {
    static func reconciler(_ fixture: GitFixture, host: String?) throws -> Reconciler {
        Reconciler(
            repository: try Repository(at: fixture.clone),
            store: try StateStore(inMemory: ()),
            runner: ProcessRunner(logger: Logger(label: "test")),
            logger: Logger(label: "test"),
            reporter: SilentReporter(),
            hostConfigFile: nil,
            host: host
        )
    }

    static func expect(_ actual: String, file name: String) throws {
        let url = PlanFixture.expected.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["RECONCILER_UPDATE_PLAN_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(at: PlanFixture.expected, withIntermediateDirectories: true)
            try Data(actual.utf8).write(to: url)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(actual == expected, "\(name) differs; actual:\n\(actual)")
    }

    @Test func oneHostPlanFromGitAloneMatchesTheReviewedFiles() async throws {
        let (fixture, from, to) = try PlanFixture.commits(hosts: false)
        defer { fixture.remove() }
        let plan = try await Self.reconciler(fixture, host: nil).planFromGit(from: from, to: to)
        #expect(plan.runningUnknown)
        #expect(plan.json() == plan.jsonThroughEncoder())
        try Self.expect(PlanFixture.masked(PlanMarkdown.render([plan]), from: from, to: to), file: "one-host.md")
        try Self.expect(PlanFixture.masked(plan.json() + "\n", from: from, to: to), file: "one-host.json")
    }

    @Test func aPlanPerHostFromGitAloneMatchesTheReviewedFiles() async throws {
        let (fixture, from, to) = try PlanFixture.commits(hosts: true)
        defer { fixture.remove() }
        var plans: [Plan] = []
        for host in try Self.reconciler(fixture, host: nil).hostNames(at: to) {
            plans.append(try await Self.reconciler(fixture, host: host).planFromGit(from: from, to: to))
        }
        #expect(plans.map(\.host) == ["edge", "media"])
        try Self.expect(PlanFixture.masked(PlanMarkdown.render(plans), from: from, to: to), file: "hosts.md")
        try Self.expect(PlanFixture.masked(plans[0].json() + "\n", from: from, to: to), file: "hosts-edge.json")
    }
}

/// The Compose subset reader on what Compose files hold.
struct ComposeSummaryTests {
    @Test func readsBlockFlowQuotedAndLongSyntax() throws {
        let text = """
            services:
              "web":   # a comment
                image: 'nginx:1.25' # pinned
                ports: ["80:80", '443:443']
                volumes:
                  - type: bind
                    source: ./html
                    target: /usr/share/nginx/html
                    read_only: true
                  - data:/data
                command: >
                  nginx -g 'daemon off;' # not a comment
              worker:
                build: .
            volumes:
              data:
            """
        let summary = ComposeSummary.read("compose.yml") { _ in text }
        #expect(summary.notes == [])
        #expect(summary.services["web"]?.image == "nginx:1.25")
        #expect(summary.services["web"]?.ports == ["80:80", "443:443"])
        #expect(summary.services["web"]?.volumes == ["./html:/usr/share/nginx/html:ro", "data:/data"])
        #expect(summary.services["worker"] == ComposeSummary.Service(image: nil))
    }

    @Test func followsExtendsInsideTheRepositoryOnly() {
        let files = [
            "services/a/base.yml": "services:\n  s:\n    image: x:1\n    ports:\n      - \"1:1\"\n",
            "services/a/b/compose.yml": """
            services:
              s:
                extends: { file: ../base.yml, service: s }
                ports:
                  - "2:2"
              t:
                extends:
                  file: ../../../../outside.yml
                  service: s
              u:
                <<: *defaults
            """,
        ]
        let summary = ComposeSummary.read("services/a/b/compose.yml") { files[$0] }
        #expect(summary.services["s"] == ComposeSummary.Service(image: "x:1", ports: ["1:1", "2:2"]))
        #expect(summary.services["t"]?.image == nil)
        #expect(
            summary.notes == [
                "services/a/b/compose.yml: extends ../../../../outside.yml leaves the repository; not followed",
                "services/a/b/compose.yml: u merges a YAML anchor, not followed",
            ]
        )
    }

    @Test func aFileThatIsNoMappingIsSaidNotGuessed() {
        let summary = ComposeSummary.read("c.yml") { _ in "services:\n  a:\n    image: x\n   bad: y\n" }
        #expect(summary.services.isEmpty)
        #expect(summary.notes.first?.hasPrefix("c.yml could not be read (line 4") == true, "\(summary.notes)")
    }

    @Test func imageArrowsAndEnvKeys() {
        let bump = ImageChange(
            service: "plex",
            change: .changed,
            from: "lscr.io/a/plex:1.41.0",
            to: "lscr.io/a/plex:1.41.3"
        )
        #expect(bump.arrow == "lscr.io/a/plex:1.41.0 → 1.41.3")
        #expect(bump.short == "plex 1.41.0 → 1.41.3")
        let registry = ImageChange(service: "r", change: .changed, from: "host:5000/r", to: "host:5000/r:2")
        #expect(registry.arrow == "host:5000/r → host:5000/r:2")
        let old = UnitChanges.between(
            unit: "u",
            old: ServiceUnit(id: "u", servicesRoot: "services"),
            new: ServiceUnit(id: "u", servicesRoot: "services")
        ) { path, head in
            path.hasSuffix(".env.example")
                ? (head ? "export A=1\nC=\n# D=\n" : "A=1\nB=2\n") : "services:\n  u:\n    image: i\n"
        }
        #expect(old.envKeysAdded == ["C"])
        #expect(old.envKeysRemoved == ["B"])
        #expect(old.images.isEmpty)
    }
}

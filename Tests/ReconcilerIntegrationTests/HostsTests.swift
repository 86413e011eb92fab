import Foundation
import ReconcilerTesting
import Testing

/// One repository, two hosts (docs/multi-host.md's example): each reconciler runs on its own clone with its own
/// `--host` and state, and deploys only its units.
@Suite(.serialized)
struct HostsTests {
    /// docs/multi-host.md's worked example, as written there (the first JSON block after "A worked example"), so
    /// the docs and this test cannot drift apart: `big` runs db ← web and switches `./nixos#homelab-hl15`, `pi` runs
    /// dns and switches `./nixos#pi`. Here the units carry the fixture's tag (containers of parallel runs never
    /// clash) and `nixos-rebuild` is the stand-in script.
    static func docsExample() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/multi-host.md"), encoding: .utf8)
        guard let section = text.range(of: "### A worked example"),
            let start = text.range(of: "```json\n", range: section.upperBound..<text.endIndex),
            let end = text.range(of: "```", range: start.upperBound..<text.endIndex)
        else { throw DaemonTestError("docs/multi-host.md has no ```json block after \"### A worked example\"") }
        return String(text[start.upperBound..<end.lowerBound])
    }

    static func config(_ homelab: Homelab, db: String, web: String, dns: String) throws -> String {
        let json = try docsExample()
        for needle in ["\"nixos-rebuild\", \"switch\"", "\"db\"", "\"web\"", "\"dns\""] {
            try #require(json.contains(needle), "the docs' example has \(needle)")
        }
        return
            json
            .replacingOccurrences(of: "\"nixos-rebuild\", \"switch\"", with: "\"\(homelab.switchScript)\", \"switch\"")
            .replacingOccurrences(of: "\"db\"", with: "\"\(db)\"")
            .replacingOccurrences(of: "\"web\"", with: "\"\(web)\"")
            .replacingOccurrences(of: "\"dns\"", with: "\"\(dns)\"")
    }

    struct TwoHosts {
        let homelab: Homelab
        let db: String
        let web: String
        let dns: String
        let piDeploy: String
        let piState: String

        init() throws {
            try DockerRig.requireEngine()
            homelab = try Homelab()
            db = "db\(homelab.tag)"
            web = "web\(homelab.tag)"
            dns = "dns\(homelab.tag)"
            piDeploy = homelab.dir.appending("deploy-pi")
            piState = homelab.dir.appending("state-pi")
            try homelab.commit(
                [
                    "reconciler.json": try HostsTests.config(homelab, db: db, web: web, dns: dns),
                    "nixos/configuration.nix": "{ ... }: { }\n",
                    "services/\(db)/compose.yml": Homelab.service(version: "1"),
                    "services/\(web)/compose.yml": Homelab.service(version: "1"),
                    "services/\(dns)/compose.yml": Homelab.service(version: "1"),
                ],
                message: "two hosts"
            )
            try homelab.cloneDeploy()
            try Command.check(["git", "clone", "--quiet", homelab.remote, piDeploy])
        }

        func big(_ args: String...) throws -> CommandResult {
            try ReconcilerBinary.run(args + ["--host", "big"], homelab: homelab)
        }

        func pi(_ args: String...) throws -> CommandResult {
            try Command.run(
                [ReconcilerBinary.path] + args + ["--repo", piDeploy, "--state-dir", piState],
                environment: DockerRig.environment.merging(["RECONCILER_HOST": "pi"]) { _, b in b }
            )
        }

        func tearDown() { homelab.tearDown(projects: [db, web, dns]) }
    }

    @Test func twoHostsDeployDisjointUnitsAndIgnoreEachOthersChanges() throws {
        let lab = try TwoHosts()
        defer { lab.tearDown() }

        let big = try lab.big("sync")
        #expect(big.status == 0, "\(big.output)")
        #expect(try Containers.running(lab.db).count == 1)
        #expect(try Containers.running(lab.web).count == 1)
        #expect(try Containers.running(lab.dns).isEmpty, "dns is the pi's")
        let pi = try lab.pi("sync")
        #expect(pi.status == 0, "\(pi.output)")
        #expect(try Containers.running(lab.dns).count == 1)
        let switches = lab.homelab.switchCalls()
        #expect(switches.count == 2)
        #expect(switches.first?.contains("--flake ./nixos#homelab-hl15") == true, "\(switches)")
        #expect(switches.last?.contains("--flake ./nixos#pi") == true, "\(switches)")

        // A change to the pi's unit: the big box fetches, deploys nothing, and moves its deployed commit.
        let sha = try lab.homelab.commit(
            ["services/\(lab.dns)/compose.yml": Homelab.service(version: "2")],
            message: "dns 2"
        )
        let bigAgain = try lab.big("sync")
        #expect(bigAgain.status == 0, "\(bigAgain.output)")
        let bigHistory = try decodeJSONArray(try lab.big("history", "--json", "--limit", "1").stdout)
        #expect(bigHistory.first?["to"] as? String == sha)
        #expect(bigHistory.first?["host"] as? String == "big")
        #expect(
            (bigHistory.first?["steps"] as? [[String: Any]])?.filter { $0["phase"] as? String == "apply" }.isEmpty
                == true
        )
        #expect(try Containers.version(lab.dns) == "1")
        let piAgain = try lab.pi("sync")
        #expect(piAgain.status == 0, "\(piAgain.output)")
        #expect(try Containers.version(lab.dns) == "2")

        // plan and status say which host they speak for.
        let status = try decodeJSON(try lab.pi("status", "--json").stdout)
        #expect(status["host"] as? String == "pi")
        let units = ((status["units"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(!units.contains(lab.db) && units.contains(lab.dns), "\(units)")
        let statusText = try lab.pi("status")
        #expect(statusText.stdout.contains("host      pi"), "\(statusText.output)")
        let plan = try lab.big("plan")
        #expect(plan.stdout.contains("for host big"), "\(plan.output)")
        let planJSON = try decodeJSON(try lab.big("plan", "--json").stdout)
        #expect(planJSON["host"] as? String == "big")
        let historyText = try lab.big("history", "--limit", "1")
        #expect(historyText.stdout.hasPrefix("host big\n"), "\(historyText.output)")
    }

    @Test func theDaemonRunsForItsHostAndRefusesAHostNotListed() throws {
        let lab = try TwoHosts()
        defer { lab.tearDown() }
        let refused = #expect(throws: DaemonTestError.self, "reconciler run --host nas exits at once") {
            let daemon = try DaemonProcess(homelab: lab.homelab, arguments: ["--host", "nas"])
            daemon.stop()
        }
        #expect(refused?.description.contains("\"nas\"") == true, "\(refused?.description ?? "")")
        let daemon = try DaemonProcess(homelab: lab.homelab, arguments: ["--host", "big", "--poll-interval", "1h"])
        defer { daemon.stop() }
        let head = try lab.homelab.git(["rev-parse", "HEAD"])
        try #require(daemon.waitFor(180) { daemon.deployedCommit() == head } != nil, "first poll:\n\(daemon.log)")
        #expect(try daemon.status()["host"] as? String == "big")
        #expect(try Containers.running(lab.web).count == 1)
        #expect(try Containers.running(lab.dns).isEmpty, "dns is the pi's:\n\(daemon.log)")
    }

    @Test func aUnitOnTwoHostsOrNoneOrADependencyAcrossHostsFailsValidationNamingIt() throws {
        let lab = try TwoHosts()
        defer { lab.tearDown() }
        let unknown = try ReconcilerBinary.run(["validate", "--host", "nas"], homelab: lab.homelab)
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("\"nas\"") && unknown.output.contains("\"big\", \"pi\""), "\(unknown.output)")
        let example = try HostsTests.config(lab.homelab, db: lab.db, web: lab.web, dns: lab.dns)
        let piUnits = "\"units\": [\"\(lab.dns)\"]"
        try #require(example.contains(piUnits))
        let cases: [(String, String, String)] = [
            (
                "web on both",
                example.replacingOccurrences(of: piUnits, with: "\"units\": [\"\(lab.dns)\", \"\(lab.web)\"]"),
                "unit \"\(lab.web)\" is assigned to two hosts, \"big\" and \"pi\""
            ),
            (
                "dns on none",
                example.replacingOccurrences(of: piUnits, with: "\"units\": []"),
                "unit \"\(lab.dns)\" is assigned to no host"
            ),
            (
                "web needs dns",
                example.replacingOccurrences(
                    of: "\"dependsOn\": [\"\(lab.db)\"]",
                    with: "\"dependsOn\": [\"\(lab.db)\", \"\(lab.dns)\"]"
                ),
                "depends on \"\(lab.dns)\" (host \"pi\")"
            ),
        ]
        for (message, config, expected) in cases {
            try #require(config != example, "\(message): the replacement applies")
            try lab.homelab.commit(["reconciler.json": config], message: message)
            try Command.check(["git", "-C", lab.homelab.deploy, "pull", "--quiet"])
            let validate = try lab.big("validate")
            #expect(validate.status == 1, "\(message): \(validate.output)")
            #expect(validate.output.contains(expected), "\(message): \(validate.output)")
            // A sync refuses the commit the same way and changes nothing.
            let sync = try lab.pi("sync")
            #expect(sync.status == 1, "\(message): \(sync.output)")
            #expect(sync.output.contains(expected), "\(message): \(sync.output)")
        }
        #expect(try Containers.running(lab.dns).isEmpty)
    }
}

import Foundation
import ReconcilerTesting
import Testing

/// `reconciler deploy system`: the system step again at the deployed commit, from the command line, recorded like any
/// deploy. Only the system switch runs (the fixture's recording stand-in), so no Docker engine is involved.
@Suite struct DeploySystemTests {
    @Test func deploySystemRunsTheSwitchAgainAndRecordsIt() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                "nixos/configuration.nix": "{ ... }: { networking.hostName = \"homelab\"; }\n",
                "services/web/compose.yml": Homelab.service(version: "1"),
            ],
            message: "initial"
        )
        try homelab.cloneDeploy()
        for round in 1...2 {
            let result = try ReconcilerBinary.run(["deploy", "system"], homelab: homelab)
            #expect(result.status == 0, "\(result.output)")
            #expect(homelab.switchCalls().count == round, "\(homelab.switchCalls())")
        }
        #expect(homelab.switchCalls().last?.contains("--flake ./nixos#homelab cwd=\(homelab.deploy)") == true)
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab).stdout
        )
        #expect(history.first?["trigger"] as? String == "deploy", "\(history)")
        let steps = try lastDeploymentSteps(homelab)
        #expect(steps.map(\.unit) == ["system"], "\(steps)")
        #expect(steps.first?.action == "switch")

        // A failing switch fails the command and is recorded as such.
        FileManager.default.createFile(atPath: homelab.switchAlwaysFails, contents: nil)
        let failed = try ReconcilerBinary.run(["deploy", "system"], homelab: homelab)
        #expect(failed.status == 2, "\(failed.output)")
        #expect(failed.stderr.contains("system switch exited 1"), "\(failed.output)")
    }

    @Test func deploySystemWithoutASystemSaysSo() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        try homelab.commit(
            ["reconciler.json": homelab.config(), "services/web/compose.yml": Homelab.service(version: "1")],
            message: "services only"
        )
        try homelab.cloneDeploy()
        let result = try ReconcilerBinary.run(["deploy", "system"], homelab: homelab)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("no system to deploy: the deployed commit has no nixos/ directory"))
        #expect(homelab.switchCalls().isEmpty)
    }
}

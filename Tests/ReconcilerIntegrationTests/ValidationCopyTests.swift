import Foundation
import ReconcilerTesting
import Testing

/// Validation's copy of the target commit: changed service directories are written out of git, unchanged ones are
/// the work tree's own (linked), so Compose sees exactly what it will see after checkout — tracked files and
/// `.env` of a sibling directory included — and the work tree is left as it was.
@Suite(.serialized)
struct ValidationCopyTests {
    @Test func aChangedServiceReadsAnUnchangedSiblingsFilesAsAfterCheckout() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        let web = "web\(homelab.tag)"
        let shared = "shared\(homelab.tag)"
        defer { homelab.tearDown(projects: [web, shared]) }
        func webFile(_ version: String, envFile: String) -> String {
            Homelab.service(version: version).replacingOccurrences(
                of: "    network_mode: none\n",
                with:
                    "    network_mode: none\n    env_file: [\"../\(shared)/\(envFile)\"]\n    environment: { FROM_DOT_ENV: \"${SHARED_TOKEN}\" }\n"
            )
        }
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                ".gitignore": ".env\n",
                "services/\(shared)/compose.yml": Homelab.service(version: "1"),
                "services/\(shared)/common.env": "COMMON=from-shared\n",
                "services/\(web)/compose.yml": webFile("1", envFile: "common.env"),
            ],
            message: "web reads a file of shared"
        )
        try homelab.cloneDeploy()
        // The operator's untracked secret for web, as Compose interpolates it.
        try "SHARED_TOKEN=t0k3n\n".write(
            toFile: "\(homelab.deploy)/services/\(web)/.env",
            atomically: true,
            encoding: .utf8
        )
        #expect(try ReconcilerBinary.run(["sync"], homelab: homelab).status == 0)

        // Only web changes: shared is linked in the copy, and its common.env still reaches web.
        let v2 = try homelab.commit(
            ["services/\(web)/compose.yml": webFile("2", envFile: "common.env")],
            message: "web v2"
        )
        let second = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(second.status == 0, "\(second.output)")
        #expect(try Containers.version(web) == "2")
        let environment = try environmentOf(web)
        #expect(environment.contains("COMMON=from-shared"), "\(environment)")
        #expect(environment.contains("FROM_DOT_ENV=t0k3n"), "\(environment)")

        // A file the sibling does not have is missing in the copy too: validation fails and nothing changes.
        try homelab.commit(
            ["services/\(web)/compose.yml": webFile("3", envFile: "missing.env")],
            message: "web v3"
        )
        let third = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(third.status == 1, "\(third.output)")
        #expect(third.output.contains("failed validation"), "\(third.output)")
        #expect(third.output.contains("missing.env"), "\(third.output)")
        #expect(try Containers.version(web) == "2", "nothing was changed")
        #expect(try homelab.git(["rev-parse", "HEAD"], in: homelab.deploy) == v2, "the work tree stays at v2")

        // The work tree is whole (removing the copy did not follow its links) and no copy is left behind.
        let sharedDir = "\(homelab.deploy)/services/\(shared)"
        #expect(try String(contentsOfFile: "\(sharedDir)/common.env", encoding: .utf8) == "COMMON=from-shared\n")
        #expect(FileManager.default.fileExists(atPath: "\(sharedDir)/compose.yml"))
        #expect(FileManager.default.fileExists(atPath: "\(homelab.deploy)/services/\(web)/.env"))
        let scratch = "\(homelab.stateDir)/tmp"
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: scratch)) ?? []).isEmpty)
    }

    private func environmentOf(_ project: String) throws -> [String] {
        let id = try #require(try Containers.running(project).first)
        let json = try Command.check(
            ["docker", "inspect", "--format", "{{json .Config.Env}}", id],
            environment: DockerRig.environment
        )
        return try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String] ?? []
    }
}

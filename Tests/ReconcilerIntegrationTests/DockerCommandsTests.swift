import Foundation
import ReconcilerTesting
import Testing

/// Declared networks, `pull-images` and `cleanup` against the real Docker engine.
@Suite(.serialized)
struct DockerCommandsTests {
    private static func docker(_ args: String...) throws -> CommandResult {
        try Command.run(["docker"] + args, environment: DockerRig.environment)
    }

    @Test func declaredNetworkIsCreatedBeforeTheFirstUnitThatUsesIt() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        let network = "rtnet\(homelab.tag)"
        let app = "app\(homelab.tag)"
        let web = "web\(homelab.tag)"
        defer {
            homelab.tearDown(projects: [app, web])
            _ = try? Self.docker("network", "rm", network)
        }
        let service = """
            services:
              app:
                image: \(DockerRig.testImage)
                command: ["sleep", "3600"]
                init: true
                stop_signal: SIGKILL
                networks: [shared]
            networks:
              shared:
                name: \(network)
                external: true

            """
        try homelab.commit(
            [
                "reconciler.json": homelab.config(
                    units: [web: [app]],
                    extra: "\"networks\": { \"\(network)\": { \"driver\": \"bridge\" } }"
                ),
                "services/\(app)/compose.yml": service,
                "services/\(web)/compose.yml": service,
            ],
            message: "two units on a shared external network"
        )
        try homelab.cloneDeploy()
        #expect(try Self.docker("network", "inspect", network).status != 0, "the network does not exist yet")

        let sync = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(sync.status == 0, "\(sync.output)")
        #expect(sync.stdout.contains("Created network \(network)"), "\(sync.output)")
        let created = sync.stdout.range(of: "Created network")?.lowerBound
        let firstUp = sync.stdout.range(of: "→ \(app) up")?.lowerBound
        #expect(created != nil && firstUp != nil && created! < firstUp!, "created before the first unit")
        let driver = try Self.docker("network", "inspect", "--format", "{{.Driver}}", network)
        #expect(driver.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "bridge")
        for project in [app, web] {
            let id = try #require(try Containers.running(project).first)
            let networks = try Self.docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", id)
            #expect(networks.stdout.contains(network), "\(project) is on \(network)")
        }

        // It exists now: a later deploy leaves it alone.
        #expect(try ReconcilerBinary.run(["stop", web], homelab: homelab).status == 0)
        let deploy = try ReconcilerBinary.run(["deploy", web], homelab: homelab)
        #expect(deploy.status == 0, "\(deploy.output)")
        #expect(!deploy.stdout.contains("Created network"))
    }

    /// The homelab's sonarr and radarr layout: instances that `extends` a file beside them. The target commit is
    /// validated in a scratch copy, which must hold that shared file too.
    @Test func instancesExtendingASharedFileValidateAndDeploy() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        let service = "arr\(homelab.tag)"
        let projects = ["\(service)-shows", "\(service)-anime"]
        defer { homelab.tearDown(projects: projects) }
        func base(_ version: String) -> String {
            Homelab.service(version: version).replacingOccurrences(of: "services:\n  app:", with: "services:\n  arr:")
        }
        let instance = """
            services:
              arr:
                extends:
                  file: ../compose.base.yml
                  service: arr

            """
        try homelab.commit(
            [
                "reconciler.json": homelab.config(),
                "services/\(service)/compose.base.yml": base("1"),
                "services/\(service)/shows/compose.yml": instance,
                "services/\(service)/anime/compose.yml": instance,
            ],
            message: "two instances sharing a base file"
        )
        try homelab.cloneDeploy()
        let first = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(first.status == 0, "\(first.output)")
        try homelab.commit(["services/\(service)/compose.base.yml": base("2")], message: "shared file v2")
        let second = try ReconcilerBinary.run(["sync"], homelab: homelab)
        #expect(second.status == 0, "\(second.output)")
        for project in projects {
            #expect(try Containers.version(project) == "2", "\(project) runs the shared file's new version")
        }
    }

    @Test func pullImagesRecreatesOnlyUnitsWhoseImageChanged() throws {
        try DockerRig.requireEngine()
        let homelab = try Homelab()
        let fresh = "fresh\(homelab.tag)"
        let same = "same\(homelab.tag)"
        let image = "rt-img-\(homelab.tag)"
        let flag = homelab.dir.appending("new-image-published")
        defer {
            homelab.tearDown(projects: [fresh, same])
            _ = try? Self.docker("rmi", "\(image):1", "\(image):2")
            _ = try? Self.docker("rm", "-f", "maker-\(homelab.tag)")
        }
        // Two local images: :1 deployed, :2 the "newer release" that a pull brings (no registry here).
        #expect(try Self.docker("tag", DockerRig.testImage, "\(image):1").status == 0)
        #expect(try Self.docker("create", "--name", "maker-\(homelab.tag)", DockerRig.testImage, "true").status == 0)
        let commit = try Self.docker("commit", "--change", "LABEL release=2", "maker-\(homelab.tag)", "\(image):2")
        #expect(commit.status == 0, "\(commit.output)")
        // The compose command: Docker Compose, except that `pull` first "publishes" :2 as :1 once the flag exists.
        let wrapper = homelab.dir.appending("compose-with-registry.sh")
        try """
        #!/bin/sh
        for last; do :; done
        if [ "$last" = pull ] && [ -e '\(flag)' ]; then docker tag '\(image):2' '\(image):1'; fi
        exec docker compose "$@"
        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)

        func service(_ image: String) -> String {
            """
            services:
              app:
                image: \(image)
                pull_policy: never
                command: ["sleep", "3600"]
                init: true
                network_mode: none
                stop_signal: SIGKILL

            """
        }
        let config = homelab.config().replacingOccurrences(
            of: "\"services\": {",
            with: "\"services\": { \"compose\": [\"\(wrapper)\"],"
        )
        try homelab.commit(
            [
                "reconciler.json": config,
                "services/\(fresh)/compose.yml": service("\(image):1"),
                "services/\(same)/compose.yml": service(DockerRig.testImage),
            ],
            message: "two units"
        )
        try homelab.cloneDeploy()
        #expect(try ReconcilerBinary.run(["sync"], homelab: homelab).status == 0)
        let freshBefore = try Containers.running(fresh)
        let sameBefore = try Containers.running(same)

        let nothing = try ReconcilerBinary.run(["pull-images"], homelab: homelab)
        #expect(nothing.status == 0, "\(nothing.output)")
        #expect(nothing.stdout.contains("No running unit has a newer image."), "\(nothing.output)")
        #expect(try Containers.running(fresh) == freshBefore)

        FileManager.default.createFile(atPath: flag, contents: nil)
        let pulled = try ReconcilerBinary.run(["pull-images"], homelab: homelab)
        #expect(pulled.status == 0, "\(pulled.output)")
        #expect(pulled.stdout.contains("newer image: \(image):1"), "\(pulled.output)")
        let freshAfter = try Containers.running(fresh)
        #expect(freshAfter.count == 1 && freshAfter != freshBefore, "recreated on the new image")
        let label = try Self.docker("inspect", "--format", "{{index .Config.Labels \"release\"}}", freshAfter[0])
        #expect(label.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(try Containers.running(same) == sameBefore, "a unit whose image did not change is left alone")
        let history = try decodeJSONArray(
            try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab).stdout
        )
        #expect(history.first?["trigger"] as? String == "pull-images")
    }

    @Test func localOnlyImageIsKeptAndAMissingOneFailsTheCommand() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        #expect(try lab.run("sync").status == 0)
        // The fixtures' image is local only: the pull has no registry to reach, the engine has the image, the units
        // keep running on it, and the report says so.
        let kept = try lab.run("pull-images")
        #expect(kept.status == 0, "\(kept.output)")
        #expect(kept.output.contains("kept the local image \(DockerRig.testImage)"), "\(kept.output)")
        #expect(kept.stdout.contains("Kept local images"), "\(kept.output)")
        #expect(kept.stdout.contains(lab.db), "\(kept.output)")

        // An image the engine no longer has (untagged since the container started) and no registry gives: failed.
        let gone = "reconciler-test/gone\(lab.homelab.tag):1"
        #expect(try Self.docker("tag", DockerRig.testImage, gone).status == 0)
        defer { _ = try? Self.docker("rmi", gone) }
        let service = Homelab.service(version: "2").replacingOccurrences(of: DockerRig.testImage, with: gone)
        try lab.homelab.commit(["services/\(lab.db)/compose.yml": service], message: "db: another image")
        let sync = try lab.run("sync")
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try Self.docker("rmi", gone).status == 0)
        let failed = try lab.run("pull-images")
        #expect(failed.status == 1, "\(failed.output)")
        #expect(failed.stderr.contains("\(lab.db): pull failed"), "\(failed.output)")
        #expect(!failed.stderr.contains("\(lab.app): pull failed"), "\(failed.output)")
    }

    @Test func cleanupPrunesDocker() throws {
        let lab = try Lab()
        defer { lab.tearDown() }
        let stopped = "rt-stopped-\(lab.homelab.tag)"
        #expect(try Self.docker("create", "--name", stopped, DockerRig.testImage, "true").status == 0)
        defer { _ = try? Self.docker("rm", "-f", stopped) }
        let result = try lab.run("cleanup")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout.contains("Total reclaimed space"), "\(result.output)")
        #expect(try Self.docker("inspect", stopped).status != 0, "the stopped container was pruned")
    }
}

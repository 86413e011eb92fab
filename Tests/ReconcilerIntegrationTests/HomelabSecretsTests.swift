import Foundation
import ReconcilerTesting
import Testing

/// `reconciler secrets init` and `reconciler validate` on a copy of this repository's homelab, and `plan` over a
/// change to a file the sonarr instances share.
@Suite(.serialized)
struct HomelabSecretsTests {
    /// A git repository holding a copy of the homelab, committed; `nixos-rebuild` (system.check) is a stand-in.
    struct Copy {
        let dir: TemporaryDirectory
        var repo: String { dir.appending("repo") }
        var bin: String { dir.appending("bin") }

        init() throws {
            dir = try TemporaryDirectory(prefix: "homelab-copy")
            try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            try HomelabRepository.copyHomelab(to: repo)
            try "#!/bin/sh\necho \"stand-in nixos-rebuild $*\"\n".write(
                toFile: "\(bin)/nixos-rebuild",
                atomically: true,
                encoding: .utf8
            )
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: "\(bin)/nixos-rebuild")
            try git("init", "--quiet", "--initial-branch=main")
            try git("add", "-A")
            try git("commit", "--quiet", "-m", "homelab")
        }

        @discardableResult
        func git(_ args: String...) throws -> String {
            try Command.check(
                ["git", "-C", repo] + args,
                environment: [
                    "GIT_AUTHOR_NAME": "op", "GIT_AUTHOR_EMAIL": "op@homelab.test", "GIT_COMMITTER_NAME": "op",
                    "GIT_COMMITTER_EMAIL": "op@homelab.test",
                ]
            )
        }

        func reconciler(_ args: String...) throws -> CommandResult {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            return try Command.run(
                [ReconcilerBinary.path] + args + ["--repo", repo, "--state-dir", dir.appending("state")],
                environment: DockerRig.environment.merging(["PATH": "\(bin):\(path)"]) { _, new in new }
            )
        }

        func env(_ unit: String) -> String { "\(repo)/services/\(unit)/.env" }
    }

    @Test func secretsInitCreatesPrivateEnvFilesOnlyWhereNoneExists() throws {
        let copy = try Copy()
        defer { copy.dir.remove() }
        try "PLEX_CLAIM=mine\n".write(toFile: copy.env("plex"), atomically: true, encoding: .utf8)

        let one = try copy.reconciler("secrets", "init", "sonarr/shows")
        #expect(one.status == 0, "\(one.output)")
        #expect(FileManager.default.fileExists(atPath: copy.env("sonarr/shows")))
        #expect(!FileManager.default.fileExists(atPath: copy.env("sonarr/anime")))

        let all = try copy.reconciler("secrets", "init", "--all")
        #expect(all.status == 0, "\(all.output)")
        for unit in HomelabRepository.seedUnits where unit != "plex" {
            let attributes = try FileManager.default.attributesOfItem(atPath: copy.env(unit))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(unit)/.env mode")
        }
        #expect(try String(contentsOfFile: copy.env("plex"), encoding: .utf8) == "PLEX_CLAIM=mine\n", "kept as it was")
        #expect(all.stdout.contains("kept    services/plex/.env"))
        #expect(try copy.git("status", "--porcelain").isEmpty, ".env files are ignored by git")

        let unknown = try copy.reconciler("secrets", "init", "nosuch")
        #expect(unknown.status == 1)
        #expect(unknown.output.contains("nosuch"))
    }

    @Test func validatePassesWithInitialisedSecretsAndNamesEachProblem() throws {
        let copy = try Copy()
        defer { copy.dir.remove() }
        let before = try copy.reconciler("validate")
        #expect(before.status == 1)
        // Once per unit, with the command that fixes it, and not as missing keys.
        let plexLines = before.stderr.split(separator: "\n").filter { $0.hasPrefix("error: plex: ") }
        #expect(
            plexLines == [
                "error: plex: no .env: run `reconciler secrets init plex` (it copies .env.example to "
                    + "services/plex/.env, mode 600), then replace its placeholder values"
            ],
            "\(before.output)"
        )
        #expect(before.stderr.split(separator: "\n").filter { $0.hasPrefix("error: sonarr/shows: ") }.count == 1)
        #expect(!before.output.contains("lacks key"), "\(before.output)")

        #expect(try copy.reconciler("secrets", "init", "--all").status == 0)
        let clean = try copy.reconciler("validate")
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.stdout.contains("All checks passed"))

        // A key of .env.example removed from .env.
        let plexEnv = try String(contentsOfFile: copy.env("plex"), encoding: .utf8)
        try plexEnv.split(separator: "\n").filter { !$0.hasPrefix("PLEX_PORT=") }.joined(separator: "\n")
            .write(toFile: copy.env("plex"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy.env("plex"))
        let missingKey = try copy.reconciler("validate")
        #expect(missingKey.status == 1)
        #expect(missingKey.stderr.contains("plex: services/plex/.env lacks key"), "\(missingKey.output)")
        #expect(missingKey.stderr.contains("PLEX_PORT"))
        #expect(!missingKey.output.contains("your_api_key_here"), "values are never printed")
        try plexEnv.write(toFile: copy.env("plex"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy.env("plex"))
        #expect(try copy.reconciler("validate").status == 0)

        // World-readable.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.env("sonarr/anime"))
        let readable = try copy.reconciler("validate")
        #expect(readable.status == 1)
        #expect(readable.stderr.contains("sonarr/anime: services/sonarr/anime/.env is readable"), "\(readable.output)")
        #expect(!readable.stderr.contains("error: sonarr/shows:"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy.env("sonarr/anime"))

        // Tracked by git.
        try copy.git("add", "--force", "services/pihole/.env")
        let tracked = try copy.reconciler("validate")
        #expect(tracked.status == 1)
        #expect(tracked.stderr.contains("pihole: services/pihole/.env is tracked by git"), "\(tracked.output)")
        #expect(!tracked.output.contains("secure_password_here"), "values are never printed")
    }

    @Test func validateWarnsAboutSecretKeysStillHoldingTheirPlaceholder() throws {
        let copy = try Copy()
        defer { copy.dir.remove() }
        #expect(try copy.reconciler("secrets", "init", "--all").status == 0)
        let placeholders = try copy.reconciler("validate")
        #expect(placeholders.status == 0, "warnings do not fail validation: \(placeholders.output)")
        #expect(placeholders.stdout.contains("with 10 warning(s)"), "\(placeholders.output)")
        let warnings = placeholders.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(
            warnings.contains(
                "warning: gluetun: services/gluetun/.env still has the .env.example placeholder for "
                    + "WIREGUARD_PRIVATE_KEY: set a real value in \(copy.repo)/services/gluetun/.env"
            ),
            "\(placeholders.output)"
        )
        #expect(
            warnings.contains { $0.hasPrefix("warning: pihole: ") && $0.contains("for PIHOLE_WEB_PASSWORD:") }
        )
        #expect(warnings.contains { $0.hasPrefix("warning: prowlarr: ") && $0.contains("PROWLARR_API_KEY") })
        #expect(warnings.contains { $0.contains("for DB_PASSWORD, DB_ROOT_PASSWORD: set real values in") })
        // Keys that do not look secret are not flagged, and no value is ever printed.
        #expect(!placeholders.output.contains("PUID"))
        for value in ["your_wireguard_private_key_here", "secure_password_here", "secure_root_password_here"] {
            #expect(!placeholders.output.contains(value), "\(value) printed")
        }

        // A real value (quoted or not, any case of key) ends the warning for that unit only.
        let gluetun = try String(contentsOfFile: copy.env("gluetun"), encoding: .utf8)
        try gluetun.replacingOccurrences(
            of: "WIREGUARD_PRIVATE_KEY=your_wireguard_private_key_here",
            with: "WIREGUARD_PRIVATE_KEY=\"kQ3mP0aLs9real\""
        ).write(toFile: copy.env("gluetun"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: copy.env("gluetun"))
        let fixed = try copy.reconciler("validate")
        #expect(fixed.status == 0, "\(fixed.output)")
        #expect(!fixed.stderr.contains("warning: gluetun:"), "\(fixed.output)")
        #expect(fixed.stderr.contains("warning: pihole:"), "\(fixed.output)")
    }

    @Test func sharedSonarrFileAffectsBothInstancesAndNothingElse() throws {
        let homelab = try Homelab()
        defer { homelab.dir.remove() }
        try HomelabRepository.copyHomelab(to: homelab.author)
        let first = try homelab.commit([:], message: "homelab")
        try homelab.cloneDeploy()
        let base = "\(homelab.author)/services/sonarr/compose.base.yml"
        let text = try String(contentsOfFile: base, encoding: .utf8)
        let second = try homelab.commit(
            ["services/sonarr/compose.base.yml": text.replacingOccurrences(of: "retries: 3", with: "retries: 5")],
            message: "sonarr: more patient health check"
        )
        try homelab.git(["fetch", "--quiet", "origin"], in: homelab.deploy)

        let plan = try ReconcilerBinary.run(["plan", "--from", first, "--to", second, "--json"], homelab: homelab)
        #expect(plan.status == 0, "\(plan.output)")
        let json = try decodeJSON(plan.stdout)
        let steps = json["steps"] as? [[String: Any]] ?? []
        let changed = Set(steps.filter { $0["reason"] as? String == "changed" }.compactMap { $0["unit"] as? String })
        #expect(changed == ["sonarr/anime", "sonarr/shows"], "\(plan.stdout)")
        #expect(json["system"] as? Bool == false)
        #expect((json["pruned"] as? [String])?.isEmpty == true)
        // Anything else in the plan is a dependency of the two that is not running (the seed's ensure-).
        let dependencies: Set<String> = ["gluetun", "prowlarr", "deluge", "tdarr", "profilarr"]
        for step in steps where !changed.contains(step["unit"] as? String ?? "") {
            #expect(step["reason"] as? String == "dependency", "\(step)")
            #expect(dependencies.contains(step["unit"] as? String ?? ""), "\(step)")
        }
    }
}

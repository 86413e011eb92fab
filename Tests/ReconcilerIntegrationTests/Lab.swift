import Foundation
import ReconcilerTesting
import Testing

/// The homelab most end-to-end tests start from: a NixOS config and a dependency chain db ← app ← web,
/// committed and pushed, with a fresh deploy clone (unless `cloned` is false: a test that clones its own way).
struct Lab {
    let homelab: Homelab
    let db: String
    let app: String
    let web: String

    init(extraFiles: [String: String?] = [:], cloned: Bool = true) throws {
        try DockerRig.requireEngine()
        homelab = try Homelab()
        db = "db\(homelab.tag)"
        app = "app\(homelab.tag)"
        web = "web\(homelab.tag)"
        var files: [String: String?] = [
            "reconciler.json": homelab.config(units: [app: [db], web: [app]]),
            ".gitignore": ".env\n*.env\n!*.env.example\n",
            "nixos/configuration.nix": "{ ... }: { networking.hostName = \"homelab\"; }\n",
            "docs/README.md": "the homelab\n",
            "services/\(db)/compose.yml": Homelab.service(version: "1"),
            "services/\(app)/compose.yml": Homelab.service(version: "1"),
            "services/\(web)/compose.yml": Homelab.service(version: "1"),
        ]
        files.merge(extraFiles) { _, new in new }
        try homelab.commit(files, message: "Initial homelab")
        if cloned { try homelab.cloneDeploy() }
    }

    var projects: [String] { [db, app, web] }

    func run(_ args: String...) throws -> CommandResult {
        try ReconcilerBinary.run(args, homelab: homelab)
    }

    func tearDown(extraProjects: [String] = []) {
        homelab.tearDown(projects: projects + extraProjects)
    }
}

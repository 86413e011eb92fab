import Foundation
import Git

/// A fixture homelab for plan tests: two real commits (an image bump, a new service, a removed service, a shared
/// file under two instances, a `nixos/` change, `.env.example` keys, ports and volumes), with or without `hosts`.
/// The plans between them are compared with the reviewed files in Tests/Fixtures/plans.
package enum PlanFixture {
    /// Tests/Fixtures/plans.
    package static let expected = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/plans")

    package static let hostsConfig = """
        ,
          "hosts": {
            "media": { "system": ["true"], "units": ["plex", "app", "old*"] },
            "edge": { "units": ["sonarr/*"] }
          }
        """

    package static func config(hosts: Bool) -> String {
        """
        {
          "system": { "switch": ["true"] },
          "units": { "app": { "dependsOn": ["plex"] } }\(hosts ? hostsConfig : "")
        }

        """
    }

    package static let base: [String: String] = [
        "README.md": "homelab\n",
        "nixos/configuration.nix": "{ }\n",
        "services/plex/compose.yml": """
        # the media server
        services:
          plex:
            image: lscr.io/linuxserver/plex:1.41.0   # pinned
            environment:
              TZ: ${TZ:?set TZ}
            ports:
              - "32400:32400"
            volumes:
              - /srv/plex:/config
              - /srv/media:/media:ro
            healthcheck:
              test: ["CMD", "curl", "-fsS", "http://localhost:32400/identity"]

        """,
        "services/plex/.env.example": "# plex\nTZ=Europe/Berlin\nPLEX_CLAIM=\n",
        "services/app/compose.yml": """
        services:
          web:
            image: nginx:1.25
            ports:
              - target: 80
                published: 8080
                protocol: tcp

        """,
        "services/old/compose.yml": "services:\n  svc:\n    image: busybox:1.36\n",
        "services/sonarr/compose.base.yml": """
        services:
          sonarr:
            image: lscr.io/linuxserver/sonarr:4.0.14
            command: |
              a block: with # no comment
              - and no item

        """,
        "services/sonarr/shows/compose.yml": """
        services:
          sonarr:
            extends:
              file: ../compose.base.yml
              service: sonarr
            volumes:
              - /srv/sonarr/shows:/config

        """,
    ]

    package static let head: [String: String?] = [
        "README.md": "homelab, now with redis\n",
        "nixos/configuration.nix": "{ services.openssh.enable = true; }\n",
        "services/plex/compose.yml": (base["services/plex/compose.yml"] ?? "")
            .replacingOccurrences(of: "plex:1.41.0", with: "plex:1.41.3")
            .replacingOccurrences(of: "      - /srv/media:/media:ro\n", with: "")
            .replacingOccurrences(
                of: "      - \"32400:32400\"\n",
                with: "      - \"32400:32400\"\n      - ${PLEX_DLNA_PORT:-1900}:1900/udp\n"
            ),
        "services/plex/.env.example": "# plex\nTZ=Europe/Berlin\nPLEX_ADVERTISE_URL=\n",
        "services/app/compose.yml": (base["services/app/compose.yml"] ?? "")
            + "  redis:\n    image: redis:7\n    volumes: [\"redis-data:/data\"]\nvolumes:\n  redis-data: {}\n",
        "services/old/compose.yml": nil,
        "services/sonarr/compose.base.yml": (base["services/sonarr/compose.base.yml"] ?? "")
            .replacingOccurrences(of: "sonarr:4.0.14", with: "sonarr:4.0.15"),
    ]

    /// The fixture homelab (its `clone` fetched) and its two commits.
    package static func commits(hosts: Bool) throws -> (GitFixture, from: String, to: String) {
        var files = base
        files["reconciler.json"] = config(hosts: hosts)
        let fixture = try GitFixture.make(files: files, message: "homelab")
        let from = try fixture.remoteHead()
        let to = try fixture.commit(files: head, message: "plex 1.41.3, redis for app, old goes, sshd <on> @admin")
        try fixture.gitInClone(["fetch", "--quiet", "origin"])
        return (fixture, from, to)
    }

    package static func masked(_ text: String, from: String, to: String) -> String {
        text.replacingOccurrences(of: from, with: "<from>").replacingOccurrences(of: to, with: "<to>")
            .replacingOccurrences(of: ObjectID(hex: from).short, with: "<from>")
            .replacingOccurrences(of: ObjectID(hex: to).short, with: "<to>")
    }

}

/// A Docker Compose service the reconciler applies as one step: a directory under `services.root`
/// holding a Compose file directly in it.
package struct ServiceUnit: Sendable, Hashable, Codable {
    /// The unit's path under `services.root`: `plex`, `sonarr/shows`.
    package let id: String
    /// The Compose project name, always passed explicitly: `plex`, `sonarr-shows`.
    package let projectName: String
    /// The unit's directory, relative to the repository root: `services/sonarr/shows`.
    package let directory: String
    /// The Compose file's name inside `directory`: `compose.yml`.
    package let composeFile: String

    package init(id: String, projectName: String, directory: String, composeFile: String) {
        self.id = id
        self.projectName = projectName
        self.directory = directory
        self.composeFile = composeFile
    }

    /// A unit under `servicesRoot`, its project name derived from the id.
    /// - Parameters:
    ///   - id: The path under `servicesRoot`.
    ///   - servicesRoot: `services.root` of the config.
    ///   - composeFile: The Compose file's name.
    package init(id: String, servicesRoot: String, composeFile: String = "compose.yml") {
        self.init(
            id: id,
            projectName: composeProjectName(forUnitID: id),
            directory: servicesRoot.isEmpty ? id : "\(servicesRoot)/\(id)",
            composeFile: composeFile
        )
    }

    /// The Compose file's path relative to the repository root.
    package var composePath: String { "\(directory)/\(composeFile)" }

    /// The first segment of the id: `sonarr` for `sonarr/shows`, `plex` for `plex`.
    package var service: String { String(id.prefix { $0 != "/" }) }

    /// The second segment of the id, nil for a single-instance unit.
    package var instance: String? {
        guard let slash = id.firstIndex(of: "/") else { return nil }
        return String(id[id.index(after: slash)...])
    }
}

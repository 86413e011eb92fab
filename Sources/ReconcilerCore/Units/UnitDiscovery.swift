import Git

/// Finds the units of a tree: every directory one or two levels under `services.root` that holds a Compose
/// file directly in it.
package enum UnitDiscovery {
    /// Compose's default file names, in the order Compose prefers them when a directory holds several.
    package static let composeFileNames = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"]

    /// The units of a tree.
    ///
    /// A directory at depth 1 (`services/<svc>`) or 2 (`services/<svc>/<instance>`) holding a Compose file by
    /// one of Compose's default names is a unit; with several, the one Compose itself would pick
    /// (`composeFileNames` order). A Compose file deeper down belongs to the enclosing unit, a submodule is
    /// never a unit, and directories whose name starts with `.` are skipped (where operators park disabled
    /// stacks).
    /// - Parameters:
    ///   - entries: The tree's files, symlinks and submodules (`Repository.treeEntries` or `workTreeEntries`).
    ///   - servicesRoot: `services.root` of the config governing this tree.
    ///   - systemRoot: `system.root` of that config.
    ///   - symlinkTarget: Reads the target of the symlink at a repository-relative path (nil when unreadable);
    ///     asked only for Compose files that are symlinks.
    /// - Throws: `UnitError` naming the path, for `.`/`..` components, control characters, names that
    ///   normalise to nothing, colliding project names, the reserved id `system` and Compose files that are
    ///   symlinks leaving the repository.
    package static func discover(
        entries: [TreeEntry],
        servicesRoot: String,
        systemRoot: String,
        symlinkTarget: (String) throws -> String?
    ) throws(UnitError) -> UnitSet {
        let servicesPrefix = servicesRoot + "/"
        let systemPrefix = systemRoot + "/"
        var hasSystem = false
        // unit directory (relative to servicesRoot) → Compose files found directly in it
        var candidates: [String: [TreeEntry]] = [:]

        for entry in entries {
            if entry.path == systemRoot || entry.path.hasPrefix(systemPrefix) { hasSystem = true }
            guard entry.path.hasPrefix(servicesPrefix) else { continue }
            let components = entry.path.dropFirst(servicesPrefix.count).split(
                separator: "/",
                omittingEmptySubsequences: false
            )
            if let bad = components.first(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
                throw UnitError(
                    code: .invalidPath,
                    path: entry.path,
                    message: "path component \"\(bad)\" is not allowed under \(servicesRoot)/; fix the tree"
                )
            }
            guard entry.kind != .submodule,
                components.count == 2 || components.count == 3,
                let name = components.last, composeFileNames.contains(String(name)),
                !components.dropLast().contains(where: { $0.hasPrefix(".") })
            else { continue }
            candidates[components.dropLast().joined(separator: "/"), default: []].append(entry)
        }

        var units: [ServiceUnit] = []
        for id in candidates.keys.sorted() {
            let directory = servicesPrefix + id
            if id.containsControlCharacter {
                throw UnitError(
                    code: .controlCharacter,
                    path: directory.debugQuoted,
                    message: "a unit directory cannot contain a control character; rename it"
                )
            }
            if id == UnitID.system {
                throw UnitError(
                    code: .reservedID,
                    path: directory,
                    message: "the unit id \"system\" is reserved for the NixOS system step; rename the directory"
                )
            }
            let files = candidates[id]!
            let chosen = composeFileNames.lazy.compactMap { name in
                files.first { $0.path.hasSuffix("/" + name) }
            }.first!
            if chosen.kind == .symlink {
                try checkSymlink(at: chosen.path, symlinkTarget: symlinkTarget)
            }
            let projectName = composeProjectName(forUnitID: id)
            if projectName.isEmpty {
                throw UnitError(
                    code: .emptyProjectName,
                    path: directory,
                    message: "the Compose project name of \"\(id)\" normalises to nothing (only a-z, 0-9, _ and - "
                        + "are kept); rename the directory"
                )
            }
            let composeFile = String(chosen.path.dropFirst(directory.count + 1))
            units.append(ServiceUnit(id: id, projectName: projectName, directory: directory, composeFile: composeFile))
        }

        let byProject = Dictionary(grouping: units, by: \.projectName)
        if let (project, colliding) = byProject.filter({ $0.value.count > 1 }).min(by: { $0.key < $1.key }) {
            let paths = colliding.map(\.directory).sorted()
            throw UnitError(
                code: .projectNameCollision,
                path: paths[0],
                message: "\(paths.map { "\"\($0)\"" }.joined(separator: " and ")) both get the Compose project name "
                    + "\"\(project)\"; rename one of them"
            )
        }
        return UnitSet(units: units, hasSystem: hasSystem)
    }

    /// Refuses a Compose file that is a symlink whose target is absolute or climbs out of the repository.
    private static func checkSymlink(
        at path: String,
        symlinkTarget: (String) throws -> String?
    ) throws(UnitError) {
        let target: String?
        do {
            target = try symlinkTarget(path)
        } catch {
            throw UnitError(
                code: .unreadableSymlink,
                path: path,
                message: "the Compose file is a symlink whose target cannot be read (\(error))"
            )
        }
        guard let target else {
            throw UnitError(
                code: .unreadableSymlink,
                path: path,
                message: "the Compose file is a symlink whose target cannot be read"
            )
        }
        if target.hasPrefix("/") {
            throw UnitError(
                code: .symlinkEscapes,
                path: path,
                message: "the Compose file is a symlink to \"\(target)\", outside the repository; "
                    + "replace it with a file or a relative link inside the repository"
            )
        }
        var stack = path.split(separator: "/").dropLast().map(String.init)
        for component in target.split(separator: "/") {
            switch component {
            case ".": continue
            case "..":
                guard !stack.isEmpty else {
                    throw UnitError(
                        code: .symlinkEscapes,
                        path: path,
                        message: "the Compose file is a symlink to \"\(target)\", which leaves the repository; "
                            + "replace it with a file or a relative link inside the repository"
                    )
                }
                stack.removeLast()
            default: stack.append(String(component))
            }
        }
    }
}

extension String {
    /// The string with control characters escaped, for naming a path that holds them.
    fileprivate var debugQuoted: String {
        String(
            unicodeScalars.map { $0.properties.generalCategory == .control ? $0.escaped(asASCII: true) : String($0) }
                .joined()
        )
    }
}

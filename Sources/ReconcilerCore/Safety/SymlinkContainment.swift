import Foundation

/// Where a symlinked Compose file really leads, and whether that stays inside the repository. Every link on the
/// way counts: a link into a directory that is itself a link out of the repository is out.
package enum SymlinkContainment {
    /// The most links followed before giving up (the kernel's own limit is 40).
    static let maximumLinks = 40

    /// Resolves `path` through the symlinks of a commit's tree (before anything is checked out): each component
    /// in turn, replacing a symlink by its target (relative to the link's directory).
    /// - Parameters:
    ///   - path: Repository-relative, `/`-separated (a Compose file).
    ///   - isSymlink: Whether a repository-relative path is a symlink in the tree.
    ///   - target: The target of the symlink at a repository-relative path.
    /// - Returns: The repository-relative path it leads to.
    /// - Throws: ``SymlinkEscape`` naming `path` and where it leads when that is outside the repository.
    package static func resolveInTree(
        _ path: String,
        isSymlink: (String) -> Bool,
        target: (String) throws -> String?
    ) throws -> String {
        var pending = path.split(separator: "/").map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            switch component {
            case "", ".": continue
            case "..":
                guard !resolved.isEmpty else {
                    throw SymlinkEscape(path: path, leadsTo: "../" + pending.joined(separator: "/"))
                }
                resolved.removeLast()
                continue
            default: break
            }
            let candidate = (resolved + [component]).joined(separator: "/")
            guard isSymlink(candidate) else {
                resolved.append(component)
                continue
            }
            links += 1
            guard links <= maximumLinks, let linkTarget = try target(candidate) else {
                throw SymlinkEscape(path: path, leadsTo: "\(candidate) (a symlink loop or an unreadable link)")
            }
            if linkTarget.hasPrefix("/") { throw SymlinkEscape(path: path, leadsTo: linkTarget) }
            pending = linkTarget.split(separator: "/").map(String.init) + pending
        }
        return resolved.joined(separator: "/")
    }

    /// Resolves `path` in the work tree on disk (`realpath`: every symlink, also untracked ones) and checks that it
    /// stays inside `root`.
    /// - Parameters:
    ///   - path: Relative to `root`, or absolute.
    ///   - root: The repository's work tree.
    /// - Returns: The absolute resolved path.
    /// - Throws: ``SymlinkEscape`` when it leads outside `root` (or does not resolve).
    package static func resolveOnDisk(_ path: String, root: String) throws -> String {
        let absolute = path.hasPrefix("/") ? path : "\(root)/\(path)"
        guard let realRoot = realPath(root) else { throw SymlinkEscape(path: root, leadsTo: "nothing (missing)") }
        guard let real = realPath(absolute) else {
            throw SymlinkEscape(path: path, leadsTo: "nothing (a dangling link or a missing file)")
        }
        guard real == realRoot || real.hasPrefix(realRoot == "/" ? "/" : realRoot + "/") else {
            throw SymlinkEscape(path: path, leadsTo: real)
        }
        return real
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// A symlinked file whose target is outside the repository.
package struct SymlinkEscape: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path as the repository names it.
    package let path: String
    /// Where it leads.
    package let leadsTo: String

    package var description: String {
        "\(path) is a symlink that leads outside the repository, to \(leadsTo); Compose files must stay inside "
            + "the repository: commit the file itself"
    }
}

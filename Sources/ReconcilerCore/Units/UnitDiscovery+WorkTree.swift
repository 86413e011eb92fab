import Foundation
import Git

extension UnitDiscovery {
    /// The files, symlinks and nested repositories of a directory on disk, as `TreeEntry`s relative to `root`
    /// and sorted by path, so that `validate` discovers units from the working tree as it would from a commit.
    ///
    /// Skips `.git` at the top; never follows a symlink (it is reported as `.symlink`); a directory holding
    /// its own `.git` is reported as one `.submodule` entry and not descended into; sockets and other special
    /// files are left out.
    /// - Parameters:
    ///   - root: The working tree's root directory.
    package static func workTreeEntries(root: String) throws -> [TreeEntry] {
        var entries: [TreeEntry] = []
        try collect(root: root, relative: "", into: &entries)
        return entries.sorted { $0.path < $1.path }
    }

    /// A `symlinkTarget` for `discover` that reads links in the working tree at `root`.
    /// - Parameters:
    ///   - root: The working tree's root directory.
    package static func workTreeSymlinkTarget(root: String) -> @Sendable (String) throws -> String? {
        { path in try FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/\(path)") }
    }

    private static func collect(root: String, relative: String, into entries: inout [TreeEntry]) throws {
        let fileManager = FileManager.default
        let directory = relative.isEmpty ? root : "\(root)/\(relative)"
        for name in try fileManager.contentsOfDirectory(atPath: directory).sorted() {
            if relative.isEmpty && name == ".git" { continue }
            let path = relative.isEmpty ? name : "\(relative)/\(name)"
            let attributes = try fileManager.attributesOfItem(atPath: "\(root)/\(path)")
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?:
                entries.append(TreeEntry(path: path, kind: .symlink))
            case .typeDirectory?:
                if fileManager.fileExists(atPath: "\(root)/\(path)/.git") {
                    entries.append(TreeEntry(path: path, kind: .submodule))
                } else {
                    try collect(root: root, relative: path, into: &entries)
                }
            case .typeRegular?:
                let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
                entries.append(TreeEntry(path: path, kind: permissions & 0o111 != 0 ? .executable : .file))
            default:
                continue
            }
        }
    }
}

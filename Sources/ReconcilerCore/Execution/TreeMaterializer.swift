import Foundation
import Git

/// Writes a commit's files under some directories into a scratch directory, so the target commit can be validated
/// (and a pruned unit taken down with its old files) without touching the work tree.
package struct TreeMaterializer {
    package let repository: Repository

    package init(repository: Repository) {
        self.repository = repository
    }

    /// Writes every file of `commit` under each of `directories` (repo-relative) into `destination`, keeping paths.
    /// Untracked files directly in the work tree's copy of each directory (`.env`, `*.env`) are copied beside them,
    /// because Compose reads them; nothing else untracked is copied.
    package func materialize(
        commit: ObjectID,
        directories: [String],
        into destination: String,
        entries: [TreeEntry]
    ) throws {
        let fm = FileManager.default
        for dir in Set(directories) {
            let prefix = dir.isEmpty ? "" : dir + "/"
            // Files directly beside the directory come along too: an instance's `extends: ../compose.base.yml` or
            // `env_file: ../shared.env` names them (services/sonarr/compose.base.yml beside services/sonarr/shows).
            let parent = (dir as NSString).deletingLastPathComponent
            let parentPrefix = parent.isEmpty ? "" : parent + "/"
            for entry in entries where entry.kind != .submodule {
                let beside =
                    !dir.isEmpty && entry.path.hasPrefix(parentPrefix)
                    && !entry.path.dropFirst(parentPrefix.count).contains("/")
                guard entry.path.hasPrefix(prefix) || beside else { continue }
                try write(entry, commit: commit, into: destination)
            }
            try fm.createDirectory(atPath: "\(destination)/\(dir)", withIntermediateDirectories: true)
            copyEnvFiles(from: "\(repository.workdir)/\(dir)", to: "\(destination)/\(dir)")
        }
    }

    private func write(_ entry: TreeEntry, commit: ObjectID, into destination: String) throws {
        let fm = FileManager.default
        let target = "\(destination)/\(entry.path)"
        try fm.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        if entry.kind == .symlink {
            if let link = try repository.symlinkTarget(of: entry.path, at: commit) {
                try? fm.removeItem(atPath: target)
                try fm.createSymbolicLink(atPath: target, withDestinationPath: link)
            }
            return
        }
        let data = try repository.contents(of: entry.path, at: commit) ?? Data()
        fm.createFile(
            atPath: target,
            contents: data,
            attributes: [.posixPermissions: entry.kind == .executable ? 0o755 : 0o644]
        )
    }

    /// ``copyEnvFiles(from:to:)`` for `source` and every directory below it that also exists under `destination`
    /// (`.git` and symlinked directories skipped).
    package func copyEnvFilesRecursively(from source: String, to destination: String) {
        let fm = FileManager.default
        var pending = [""]
        while let relative = pending.popLast() {
            let from = relative.isEmpty ? source : "\(source)/\(relative)"
            let to = relative.isEmpty ? destination : "\(destination)/\(relative)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: to, isDirectory: &isDir), isDir.boolValue else { continue }
            copyEnvFiles(from: from, to: to)
            for name in (try? fm.contentsOfDirectory(atPath: from)) ?? [] where name != ".git" {
                let path = "\(from)/\(name)"
                let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
                if type == .typeDirectory { pending.append(relative.isEmpty ? name : "\(relative)/\(name)") }
            }
        }
    }

    /// Copies `.env` and `*.env` files (the operator's secrets) from `source` to `destination`, mode 0600.
    package func copyEnvFiles(from source: String, to destination: String) {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: source) else { return }
        for name in names where name == ".env" || (name.hasSuffix(".env") && name != ".env.example") {
            let from = "\(source)/\(name)"
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: from, isDirectory: &isDir), !isDir.boolValue,
                let data = fm.contents(atPath: from)
            else { continue }
            fm.createFile(atPath: "\(destination)/\(name)", contents: data, attributes: [.posixPermissions: 0o600])
        }
    }
}

import CLibGit2
import Foundation

/// An object of a commit that the object database cannot give back: damaged on disk (a corrupt loose object, a
/// truncated pack) or missing (a shallow or partial clone). Not the commit's fault: the same commit is fine in
/// another clone.
package struct UnreadableObject: Hashable, Sendable, CustomStringConvertible {
    package let id: ObjectID
    /// Where in the commit it is: a tree path, "(root tree)" or "(commit)".
    package let path: String
    /// The loose object's file in the git directory, when one is on disk.
    package let looseFile: String?
    /// libgit2's words.
    package let message: String

    package var description: String {
        "\(path) (object \(id.hex)\(looseFile.map { ", file \($0)" } ?? "")): \(message)"
    }
}

extension Repository {
    /// True when the clone is shallow (`git clone --depth`): commits beyond its boundary are missing, so ancestry
    /// (is the head a descendant of the deployed commit?) and earlier commits cannot be read.
    package func isShallow() throws -> Bool {
        try withRepository { repo in
            let rc = git_repository_is_shallow(repo)
            try check(rc, "git_repository_is_shallow", context: workdir)
            return rc == 1
        }
    }

    /// Every object of `commit` (the commit, its trees and blobs) that cannot be read in full, in tree order, at
    /// most `limit`. Each blob is inflated, so a damaged loose object is found before a checkout writes half a tree.
    package func unreadableObjects(in commit: ObjectID, limit: Int = 20) throws -> [UnreadableObject] {
        let objectsDirectory = "\(try gitDirectory())/objects"
        return try withRepository { repo in
            var found: [UnreadableObject] = []
            func record(_ oid: UnsafePointer<git_oid>, _ path: String, _ rc: Int32, _ call: String) {
                let id = ObjectID(oid)
                let loose = "\(objectsDirectory)/\(id.hex.prefix(2))/\(id.hex.dropFirst(2))"
                found.append(
                    UnreadableObject(
                        id: id,
                        path: path,
                        looseFile: FileManager.default.fileExists(atPath: loose) ? loose : nil,
                        message: GitError.libgit2(call, rc).message
                    )
                )
            }
            var odb: OpaquePointer?
            try check(git_repository_odb(&odb, repo), "git_repository_odb", context: workdir)
            defer { git_odb_free(odb) }
            var commitOID = try commit.gitOID()
            var commitObject: OpaquePointer?
            let rc = git_commit_lookup(&commitObject, repo, &commitOID)
            guard rc == 0 else {
                record(&commitOID, "(commit)", rc, "git_commit_lookup")
                return found
            }
            defer { git_commit_free(commitObject) }
            var root: OpaquePointer?
            let treeRC = git_commit_tree(&root, commitObject)
            guard treeRC == 0 else {
                record(git_commit_tree_id(commitObject), "(root tree)", treeRC, "git_commit_tree")
                return found
            }
            defer { git_tree_free(root) }

            func visit(_ tree: OpaquePointer, _ prefix: String) {
                for index in 0..<git_tree_entrycount(tree) {
                    guard found.count < limit, let entry = git_tree_entry_byindex(tree, index) else { return }
                    let name = string(git_tree_entry_name(entry)) ?? "?"
                    let path = prefix.isEmpty ? name : "\(prefix)/\(name)"
                    let oid = git_tree_entry_id(entry)!
                    switch git_tree_entry_filemode(entry) {
                    case GIT_FILEMODE_TREE:
                        var subtree: OpaquePointer?
                        let rc = git_tree_lookup(&subtree, repo, oid)
                        guard rc == 0 else {
                            record(oid, path + "/", rc, "git_tree_lookup")
                            continue
                        }
                        visit(subtree!, path)
                        git_tree_free(subtree)
                    case GIT_FILEMODE_COMMIT:
                        continue  // a submodule's commit lives in another repository
                    default:
                        var object: OpaquePointer?
                        let rc = git_odb_read(&object, odb, oid)
                        guard rc == 0 else {
                            record(oid, path, rc, "git_odb_read")
                            continue
                        }
                        git_odb_object_free(object)
                    }
                }
            }
            visit(root!, "")
            return found
        }
    }
}

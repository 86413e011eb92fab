import CLibGit2
import Foundation

/// One entry met by ``walkTree(_:_:visit:)``: the names leading to it (raw bytes, as stored in the tree object)
/// and what it is.
struct WalkedEntry {
    enum Kind { case tree, file, executable, symlink, submodule, other }

    /// The names from the root to this entry, each as its raw bytes (a crafted tree may hold any byte but NUL).
    let names: [[UInt8]]
    let kind: Kind
    /// The object the entry names (a blob, a tree, a submodule's commit).
    let id: git_oid

    /// The `/`-joined path, bytes decoded as UTF-8 (invalid sequences repaired). Only meaningful when no name
    /// holds a `/` itself; ``TreePathProblem`` reports those.
    var path: String { names.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/") }
}

/// Walks `tree` depth-first, parents before children, in tree order, calling `visit` for every entry; a tree
/// entry is descended into only when `visit` returns true for it.
///
/// Unlike `git_tree_walk`, which joins names with `/` into one C string, this keeps each name apart, so a name
/// holding `/` (possible in a crafted tree) cannot pass for two path segments.
func walkTree(_ repo: OpaquePointer, _ tree: OpaquePointer, visit: (WalkedEntry) throws -> Bool) throws {
    try walkTree(repo, tree, prefix: [], visit: visit)
}

private func walkTree(
    _ repo: OpaquePointer,
    _ tree: OpaquePointer,
    prefix: [[UInt8]],
    visit: (WalkedEntry) throws -> Bool
) throws {
    for index in 0..<git_tree_entrycount(tree) {
        guard let entry = git_tree_entry_byindex(tree, index) else { continue }
        let name: [UInt8] =
            git_tree_entry_name(entry).map { pointer in
                Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map { UInt8(bitPattern: $0) }
            } ?? []
        let kind: WalkedEntry.Kind
        switch git_tree_entry_filemode(entry) {
        case GIT_FILEMODE_TREE: kind = .tree
        case GIT_FILEMODE_BLOB: kind = .file
        case GIT_FILEMODE_BLOB_EXECUTABLE: kind = .executable
        case GIT_FILEMODE_LINK: kind = .symlink
        case GIT_FILEMODE_COMMIT: kind = .submodule
        default: kind = .other
        }
        let walked = WalkedEntry(names: prefix + [name], kind: kind, id: git_tree_entry_id(entry).pointee)
        guard try visit(walked), kind == .tree else { continue }
        var subtree: OpaquePointer?
        try check(
            git_tree_lookup(&subtree, repo, git_tree_entry_id(entry)),
            "git_tree_lookup",
            context: walked.path
        )
        defer { git_tree_free(subtree) }
        try walkTree(repo, subtree!, prefix: walked.names, visit: visit)
    }
}

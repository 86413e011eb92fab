/// One entry of a commit's tree, listed recursively (blobs, symlinks and submodules; no directories).
package struct TreeEntry: Hashable, Sendable {
    package enum Kind: Hashable, Sendable {
        case file
        case executable
        case symlink
        /// A gitlink (submodule) entry.
        case submodule
    }

    /// Path relative to the repository root, `/`-separated.
    package let path: String
    package let kind: Kind

    package init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

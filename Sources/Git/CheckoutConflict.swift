/// A path of a commit that a checkout would write over something git does not track in the work tree: an
/// operator's ignored `.env`, an untracked directory of data, a file where the commit has a directory.
///
/// Reads as `services/plex/.env: an ignored file in the work tree would be overwritten by the commit's file`.
package struct CheckoutConflict: Hashable, Sendable, CustomStringConvertible {
    /// What the work tree holds at ``path``.
    package enum Existing: Hashable, Sendable {
        case file
        case symlink
        /// A directory, with the untracked or ignored paths inside it (relative to the repository root, sorted).
        case directory(untracked: [String])
    }

    /// What the commit has at ``path``.
    package enum Incoming: Hashable, Sendable {
        case file
        case symlink
        case directory
    }

    /// Relative to the repository root, `/`-separated.
    package let path: String
    package let existing: Existing
    /// True when git ignores what is there (`.gitignore`); false when it is merely untracked.
    package let ignored: Bool
    package let incoming: Incoming

    package init(path: String, existing: Existing, ignored: Bool, incoming: Incoming) {
        self.path = path
        self.existing = existing
        self.ignored = ignored
        self.incoming = incoming
    }

    package var description: String {
        let state = ignored ? "ignored" : "untracked"
        let what: String
        switch existing {
        case .file: what = "an \(state) file"
        case .symlink: what = "an \(state) symlink"
        case .directory(let inside):
            let shown = inside.prefix(3).joined(separator: ", ")
            let more = inside.count > 3 ? " and \(inside.count - 3) more" : ""
            what =
                "a directory holding \(inside.count) untracked or ignored path\(inside.count == 1 ? "" : "s") "
                + "(\(shown)\(more))"
        }
        let theirs: String
        switch incoming {
        case .file: theirs = "the commit's file"
        case .symlink: theirs = "the commit's symlink"
        case .directory: theirs = "the commit's directory"
        }
        let verb: String
        switch (existing, incoming) {
        case (.file, .file), (.file, .symlink), (.symlink, .file), (.symlink, .symlink): verb = "overwritten by"
        default: verb = "deleted and replaced by"
        }
        let shownPath = if case .directory = existing { path + "/" } else { path }
        return "\(shownPath): \(what) in the work tree would be \(verb) \(theirs)"
    }
}

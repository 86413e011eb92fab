import CLibGit2
import Foundation
import Synchronization

/// Serialises the checkouts of this process while they set the umask (a process-wide setting).
private let checkoutUmask = Mutex(())

extension Repository {
    /// Checks `commit` out into the work tree, forced, and detaches HEAD at it, with git's file modes (0644/0755)
    /// whatever the process's umask.
    ///
    /// Tracked files are made to match `commit` (local edits to them are overwritten; files tracked at HEAD but
    /// gone in `commit` are removed). Untracked and ignored files (`.env`) are never removed, and an ignored file
    /// in the way of one of `commit`'s paths makes the checkout fail instead of being overwritten. Call
    /// ``checkoutConflicts(for:)`` first: it names every such path (untracked ones too, which `FORCE` alone
    /// would overwrite) before anything is written.
    package func checkout(_ commit: ObjectID) throws {
        try withRepository { repo in
            var oid = try commit.gitOID()
            var object: OpaquePointer?
            let rc = git_object_lookup(&object, repo, &oid, GIT_OBJECT_COMMIT)
            if rc < 0 {
                throw GitError.libgit2(
                    "git_object_lookup",
                    rc,
                    code: rc == GIT_ENOTFOUND.rawValue ? .badRevision : nil,
                    context: commit.hex
                )
            }
            defer { git_object_free(object) }

            var options = git_checkout_options()
            try check(
                git_checkout_options_init(&options, UInt32(GIT_CHECKOUT_OPTIONS_VERSION)),
                "git_checkout_options_init"
            )
            // Never GIT_CHECKOUT_REMOVE_UNTRACKED or _REMOVE_IGNORED: the secrets (.env) live there. FORCE alone
            // would overwrite an ignored file that `commit` starts tracking.
            options.checkout_strategy = GIT_CHECKOUT_FORCE.rawValue | GIT_CHECKOUT_DONT_OVERWRITE_IGNORED.rawValue
            if FaultPause.checkout {
                // Test-only (docs/testing.md): stop this process once the first file is written, half-way through.
                options.progress_cb = { path, completed, _, _ in
                    if path != nil, completed >= 1 { FaultPause.stop() }
                }
            }
            // Files and directories get git's modes under the ordinary umask (0644, 0755 for executables and
            // directories) whatever this process's umask is: a container that runs as its service's user reads the
            // committed files it mounts. What must be private (state, scratch copies, secrets) has explicit modes.
            let written = checkoutUmask.withLock { _ in
                let previous = umask(0o022)
                defer { umask(previous) }
                return git_checkout_tree(repo, object, &options)
            }
            try check(written, "git_checkout_tree", context: "\(workdir) at \(commit.short)")
            try check(
                git_repository_set_head_detached(repo, &oid),
                "git_repository_set_head_detached",
                context: "\(workdir) at \(commit.short)"
            )
        }
    }
}

/// An error from the git layer: which call failed, on what, and libgit2's own words.
package struct GitError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        package init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        package static let notFound = Code("not-found")
        package static let notARepository = Code("not-a-repository")
        package static let badRevision = Code("bad-revision")
        package static let auth = Code("auth")
        package static let network = Code("network")
        package static let timeout = Code("timeout")
        package static let certificate = Code("certificate")
        package static let conflict = Code("conflict")
        package static let other = Code("other")
    }

    package let code: Code
    /// The libgit2 function (or layer operation) that failed, e.g. `git_remote_fetch`.
    package let call: String
    /// libgit2's error class (`git_error_t`), 0 when none was set.
    package let errorClass: Int32
    /// libgit2's message, or ours when the failure is the layer's own.
    package let message: String
    /// What was being worked on: a path, a remote URL, a revision.
    package let context: String?
    /// What went wrong without naming `context` again (set where `message` names it), for a caller that names the
    /// thing itself: `failed to connect to 127.0.0.1: Connection refused`.
    package let cause: String?

    /// `message` and `context` are stored with any URL password replaced by `***`: a remote given as
    /// `https://user:secret@host/…` and libgit2's own words about it never carry the secret.
    package init(
        code: Code,
        call: String,
        errorClass: Int32 = 0,
        message: String,
        context: String? = nil,
        cause: String? = nil
    ) {
        self.code = code
        self.call = call
        self.errorClass = errorClass
        self.message = URLRedaction.redactingURLPasswords(message)
        self.context = context.map(URLRedaction.redactingURLPasswords)
        self.cause = cause.map(URLRedaction.redactingURLPasswords)
    }

    package var description: String {
        var s = ""
        if let context { s += "\(context): " }
        s += message
        s += " (\(call)"
        if errorClass != 0 { s += ", class \(errorClass)" }
        s += ")"
        return s
    }
}

import Foundation

/// A commit, copied out of libgit2 into a value.
package struct Commit: Hashable, Sendable {
    package let id: ObjectID
    /// The first line of the message.
    package let summary: String
    package let authorName: String
    package let authorEmail: String
    /// Commit time (committer time).
    package let time: Date
    package let parents: [ObjectID]

    package init(
        id: ObjectID,
        summary: String,
        authorName: String,
        authorEmail: String,
        time: Date,
        parents: [ObjectID]
    ) {
        self.id = id
        self.summary = summary
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.time = time
        self.parents = parents
    }
}

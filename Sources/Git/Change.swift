/// One path changed between two trees. Paths are relative to the repository root, `/`-separated.
package enum Change: Hashable, Sendable {
    case added(String)
    case modified(String)
    case deleted(String)
    case renamed(from: String, to: String)

    /// Every path this change touches: both sides of a rename.
    package var paths: [String] {
        switch self {
        case .added(let p), .modified(let p), .deleted(let p): [p]
        case .renamed(let from, let to): [from, to]
        }
    }
}

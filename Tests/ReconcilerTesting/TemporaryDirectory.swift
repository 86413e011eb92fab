import Foundation

/// A directory under the system temp dir, removed by `remove()` (tests call it in `defer`).
package struct TemporaryDirectory: Sendable {
    package let path: String

    package init(prefix: String = "reconciler-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        let path = "\(base)/\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        // Resolve symlinks (/tmp may be one) so paths compare equal to what libgit2 reports.
        self.path = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    package func appending(_ component: String) -> String { "\(path)/\(component)" }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

import ArgumentParser
import Foundation

/// Options every command takes.
package struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The deploy repository (default: $RECONCILER_REPO or /opt/homelab).")
    package var repo: String?

    @Option(
        name: .customLong("state-dir"),
        help: "Where state is kept (default: $RECONCILER_STATE_DIR, else reconciler.json's stateDir)."
    )
    package var stateDir: String?

    @Option(name: .long, help: "A reconciler.json that governs instead of the repository's own.")
    package var config: String?

    @Flag(name: .long, help: "Print what the tools print, and debug logs.")
    package var verbose = false

    package init() {}

    var repoPath: String {
        let path = repo ?? ProcessInfo.processInfo.environment["RECONCILER_REPO"] ?? "/opt/homelab"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

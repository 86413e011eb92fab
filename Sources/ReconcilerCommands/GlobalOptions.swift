import ArgumentParser
import Foundation
import ReconcilerCore

/// Options every command takes.
package struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The deploy repository (default: $RECONCILER_REPO or /opt/homelab).")
    package var repo: String?

    @Option(
        name: .customLong("state-dir"),
        help: "Where state is kept (default: $RECONCILER_STATE_DIR, else the host configuration file's stateDir)."
    )
    package var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The host's configuration file: it overrides the repository's reconciler.json key by key and alone may set stateDir, auth, verify, allowRewrite, allowInsecureTransport (default: $RECONCILER_HOST_CONFIG, else /etc/reconciler/config.json when it exists)."
        )
    )
    package var config: String?

    @Option(
        name: .long,
        help:
            "Which entry of reconciler.json's hosts this reconciler deploys (default: $RECONCILER_HOST, else the host name)."
    )
    package var host: String?

    @Flag(name: .long, help: "Print what the tools print, and debug logs.")
    package var verbose = false

    package init() {}

    /// The host-side configuration file in force, if any.
    package var hostConfigFile: String? { Config.hostFilePath(explicit: config) }

    /// `--host`, else `$RECONCILER_HOST`, else the machine's host name up to its first dot.
    package var hostName: String {
        if let host, !host.isEmpty { return host }
        if let host = ProcessInfo.processInfo.environment["RECONCILER_HOST"], !host.isEmpty { return host }
        return String(ProcessInfo.processInfo.hostName.split(separator: ".").first ?? "")
    }

    var repoPath: String {
        let path = repo ?? ProcessInfo.processInfo.environment["RECONCILER_REPO"] ?? "/opt/homelab"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

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

extension GlobalOptions {
    /// The global options that take a value (`--repo DIR` or `--repo=DIR`).
    static let valued: Set<String> = ["--repo", "--state-dir", "--config", "--host"]
    /// The global flags.
    static let flags: Set<String> = ["--verbose"]

    /// `arguments` with every global option found along the subcommand path moved after that path, so
    /// `reconciler --repo X secrets init --all` parses as `reconciler secrets init --repo X --all` (as `git -C` and
    /// `docker -H`: global options before the subcommand). The walk stops at the first argument that is neither a
    /// global option nor a subcommand of the command reached so far; from there on, and always after `--`, nothing
    /// moves.
    /// - Parameters:
    ///   - arguments: The command line without the program name.
    ///   - root: The root command, whose subcommand tree is walked.
    package static func hoisted(_ arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var path: [String] = []
        var globals: [String] = []
        var command = root
        var index = arguments.startIndex
        walk: while index < arguments.endIndex {
            let argument = arguments[index]
            let name = String(argument.prefix { $0 != "=" })
            switch argument {
            case "--":
                break walk
            case _ where flags.contains(argument):
                globals.append(argument)
            case _ where valued.contains(argument):
                globals.append(argument)
                if index + 1 < arguments.endIndex {
                    index += 1
                    globals.append(arguments[index])
                }
            case _ where argument.contains("=") && valued.contains(name):
                globals.append(argument)
            default:
                let next = command.configuration.subcommands.first { sub in
                    let configuration = sub.configuration
                    return (configuration.commandName ?? sub._commandName) == argument
                        || configuration.aliases.contains(argument)
                }
                guard let next else { break walk }
                path.append(argument)
                command = next
            }
            index += 1
        }
        return path + globals + arguments[index...]
    }
}

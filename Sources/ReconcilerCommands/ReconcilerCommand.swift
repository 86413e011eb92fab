import ArgumentParser

package struct ReconcilerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "reconciler",
        abstract: "GitOps for a home server: NixOS + Docker Compose, path-scoped, ordered, health-gated, rolled back on failure."
    )
    package init() {}
}

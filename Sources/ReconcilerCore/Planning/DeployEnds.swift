import Git

/// The commit a deploy goes to, loaded and checked: its configuration, units and dependency graph.
package struct DeployTarget: Sendable {
    package let commit: Commit
    package let config: Config
    package let units: UnitSet
    package let entries: [TreeEntry]
    package let graph: DependencyGraph

    package init(commit: Commit, config: Config, units: UnitSet, entries: [TreeEntry], graph: DependencyGraph) {
        self.commit = commit
        self.config = config
        self.units = units
        self.entries = entries
        self.graph = graph
    }
}

/// The commit a deploy starts from, when there is one and it can be read.
package struct DeploySource: Sendable {
    package let commit: Commit
    /// nil when its configuration cannot be read, which maps "all, if in doubt".
    package let config: Config?
    package let units: UnitSet?
    package let entries: [TreeEntry]
    /// Why `config` or `units` is nil: what could not be read (a rollback to it names it and touches nothing).
    package let unreadable: String?
    /// Its `dependsOn` order over every unit of the commit, whichever host runs it (a rollback restores in these
    /// waves); nil when it cannot be built, and the rollback builds it from `config` and `units`.
    package let graph: DependencyGraph?

    package init(
        commit: Commit,
        config: Config?,
        units: UnitSet?,
        entries: [TreeEntry],
        unreadable: String? = nil,
        graph: DependencyGraph? = nil
    ) {
        self.commit = commit
        self.config = config
        self.units = units
        self.entries = entries
        self.graph = graph
        self.unreadable = unreadable ?? (config == nil ? "its reconciler.json" : units == nil ? "its units" : nil)
    }
}

extension DeploySource {
    /// A target seen as the source of a rollback from it.
    package init(_ target: DeployTarget) {
        self.init(
            commit: target.commit,
            config: target.config,
            units: target.units,
            entries: target.entries,
            graph: target.graph
        )
    }
}

import Git

/// A commit's recursive file listing (`Repository.treeEntries`), read when first asked: a plan needs none of it,
/// only validation and apply (which copy files out of the commit) do.
package struct TreeListing: Sendable {
    private let load: @Sendable () throws -> [TreeEntry]

    /// A listing already at hand.
    package init(_ entries: [TreeEntry]) {
        self.load = { entries }
    }

    /// The listing of `commit`, read from `repository` when asked (it keeps the last few listings).
    package init(commit: ObjectID, in repository: Repository) {
        self.load = { try repository.treeEntries(at: commit) }
    }

    package func entries() throws -> [TreeEntry] { try load() }
}

/// The commit a deploy goes to, loaded and checked: its configuration, units and dependency graph.
package struct DeployTarget: Sendable {
    package let commit: Commit
    package let config: Config
    package let units: UnitSet
    package let listing: TreeListing
    package let graph: DependencyGraph

    package init(commit: Commit, config: Config, units: UnitSet, listing: TreeListing, graph: DependencyGraph) {
        self.commit = commit
        self.config = config
        self.units = units
        self.listing = listing
        self.graph = graph
    }

    package init(commit: Commit, config: Config, units: UnitSet, entries: [TreeEntry], graph: DependencyGraph) {
        self.init(commit: commit, config: config, units: units, listing: TreeListing(entries), graph: graph)
    }

    /// The commit's files, for tests and tools; the engine reads `listing` (which can fail) instead.
    package var entries: [TreeEntry] { (try? listing.entries()) ?? [] }
}

/// The commit a deploy starts from, when there is one and it can be read.
package struct DeploySource: Sendable {
    package let commit: Commit
    /// nil when its configuration cannot be read, which maps "all, if in doubt".
    package let config: Config?
    package let units: UnitSet?
    package let listing: TreeListing
    /// Why `config` or `units` is nil: what could not be read (a rollback to it names it and touches nothing).
    package let unreadable: String?
    /// Its `dependsOn` order over every unit of the commit, whichever host runs it (a rollback restores in these
    /// waves); nil when it cannot be built, and the rollback builds it from `config` and `units`.
    package let graph: DependencyGraph?

    package init(
        commit: Commit,
        config: Config?,
        units: UnitSet?,
        listing: TreeListing,
        unreadable: String? = nil,
        graph: DependencyGraph? = nil
    ) {
        self.commit = commit
        self.config = config
        self.units = units
        self.listing = listing
        self.graph = graph
        self.unreadable = unreadable ?? (config == nil ? "its reconciler.json" : units == nil ? "its units" : nil)
    }

    package init(commit: Commit, config: Config?, units: UnitSet?, entries: [TreeEntry], unreadable: String? = nil) {
        self.init(commit: commit, config: config, units: units, listing: TreeListing(entries), unreadable: unreadable)
    }

    /// The commit's files, for tests and tools; the engine reads `listing` (which can fail) instead.
    package var entries: [TreeEntry] { (try? listing.entries()) ?? [] }
}

extension DeploySource {
    /// A target seen as the source of a rollback from it.
    package init(_ target: DeployTarget) {
        self.init(
            commit: target.commit,
            config: target.config,
            units: target.units,
            listing: target.listing,
            graph: target.graph
        )
    }
}

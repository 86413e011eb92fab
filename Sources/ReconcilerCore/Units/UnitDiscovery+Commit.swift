import Git

extension UnitDiscovery {
    /// The units of `commit`, reading only the service directories `cache` does not know by tree id.
    ///
    /// The same units, and the same errors, as ``discover(entries:servicesRoot:systemRoot:symlinkTarget:)`` over
    /// the commit's full listing: that function runs on the entries that can matter (the files directly in
    /// `services.root`, and each service directory's ``ServiceListing``), and `hasSystem` is asked of the tree.
    /// A Compose file that is a symlink is checked against the whole commit, link by link.
    /// - Parameters:
    ///   - commit: The commit whose tree is read.
    ///   - repository: Where it is.
    ///   - servicesRoot: `services.root` of the config governing this commit.
    ///   - systemRoot: `system.root` of that config.
    ///   - cache: The listings already read, by tree id; what this call reads is added.
    package static func discover(
        commit: ObjectID,
        in repository: Repository,
        servicesRoot: String,
        systemRoot: String,
        cache: DiscoveryCache
    ) throws -> UnitSet {
        let key = DiscoveryCache.CommitKey(commit: commit, servicesRoot: servicesRoot, systemRoot: systemRoot)
        if let units = cache.units(of: key) { return units }
        let entries = try serviceEntries(commit: commit, in: repository, servicesRoot: servicesRoot, cache: cache)
        var units = try discover(
            entries: entries,
            servicesRoot: servicesRoot,
            systemRoot: systemRoot,
            symlinkTarget: { try repository.symlinkTarget(of: $0, at: commit) }
        )
        units.hasSystem = try repository.hasEntries(under: systemRoot, at: commit)
        // Every link on the way to a Compose file counts: one into a directory that links out is out. The
        // directories on the way are trees (they hold the file), so only a Compose file that is a link leads on.
        let linked = Set(entries.filter { $0.kind == .symlink }.map(\.path))
        for id in units.ids {
            guard let unit = units.units[id], linked.contains(unit.composePath) else { continue }
            do {
                _ = try SymlinkContainment.resolveInTree(
                    unit.composePath,
                    isSymlink: { ((try? repository.symlinkTarget(of: $0, at: commit)) ?? nil) != nil },
                    target: { try repository.symlinkTarget(of: $0, at: commit) }
                )
            } catch {
                throw UnitError(code: .symlinkEscapes, path: unit.composePath, message: "\(error)")
            }
        }
        cache.keep(units, of: key)
        return units
    }

    /// The entries of `commit` under `servicesRoot` that discovery can act on, sorted by path.
    private static func serviceEntries(
        commit: ObjectID,
        in repository: Repository,
        servicesRoot: String,
        cache: DiscoveryCache
    ) throws -> [TreeEntry] {
        // A root that is no plain relative path matches no listed path, as in the full listing.
        let rootComponents = servicesRoot.split(separator: "/", omittingEmptySubsequences: false)
        guard !rootComponents.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
            let children = try repository.children(of: servicesRoot, at: commit)
        else { return [] }
        let prefix = servicesRoot + "/"
        // A directory whose own name is not a plain name is listed in full (discovery names the bad path).
        let plain = children.filter { $0.isTree && isPlainName($0.name) }
        var listings = cache.listings(of: plain.map(\.id))
        var read: [ObjectID: ServiceListing] = [:]
        var entries: [TreeEntry] = []
        for child in children {
            let directory = prefix + child.name
            guard let kind = child.kind else {
                if isPlainName(child.name), let listing = listings[child.id] {
                    entries += listing.entries.map { TreeEntry(path: "\(directory)/\($0.path)", kind: $0.kind) }
                    continue
                }
                let full = try repository.treeEntries(ofTree: child.id)
                if isPlainName(child.name) {
                    let listing = ServiceListing(directoryEntries: full)
                    listings[child.id] = listing
                    read[child.id] = listing
                    entries += listing.entries.map { TreeEntry(path: "\(directory)/\($0.path)", kind: $0.kind) }
                } else {
                    entries += full.map { TreeEntry(path: "\(directory)/\($0.path)", kind: $0.kind) }
                }
                continue
            }
            entries.append(TreeEntry(path: directory, kind: kind))
        }
        cache.keep(read)
        return entries.sorted { $0.path < $1.path }
    }

    /// A name that is one path component discovery accepts as it is: not empty, `.` or `..`, no `/`.
    private static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/")
    }
}

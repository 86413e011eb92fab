import Git
import Synchronization

/// What unit discovery read of service directories, by the directory's tree object id: a tree id names its whole
/// content forever, so a directory with the same id in D and T (or in the last plan and this one) has the same
/// units, and only directories that changed are read again.
///
/// Two tiers: memory (the daemon's long-lived engine keeps it across plans) and, when given a store, the state
/// database (`discoveryCache`, for one-shot commands, each its own process). Each holds a bounded number of
/// directories. What is kept is a few paths and kinds per directory (its Compose files, see ``ServiceListing``):
/// never a file's contents, so never a secret.
package final class DiscoveryCache: Sendable {
    /// How many directories memory holds (a listing is a few short paths: about 100 bytes).
    package static let memoryCapacity = 50_000

    /// How many commits' whole unit sets memory holds (the deployed commit and the remote head, asked on every
    /// plan and every self-heal check).
    static let commitCapacity = 4

    private let store: StateStore?
    private let memory = Mutex(Memory())
    private let commits = Mutex<[(key: CommitKey, units: UnitSet)]>([])

    /// A commit's units under one pair of roots: a commit's tree never changes, so neither do they.
    struct CommitKey: Hashable {
        let commit: ObjectID
        let servicesRoot: String
        let systemRoot: String
    }

    /// - Parameters:
    ///   - store: The state database to read and keep listings in too; nil for memory only.
    package init(store: StateStore?) {
        self.store = store
    }

    /// The listings of `trees` that either tier holds, by tree id; what the database had is kept in memory too.
    func listings(of trees: [ObjectID]) -> [ObjectID: ServiceListing] {
        var found = memory.withLock { memory in
            var found: [ObjectID: ServiceListing] = [:]
            for tree in trees { found[tree] = memory.items[tree] }
            return found
        }
        let missing = trees.filter { found[$0] == nil }
        guard let store, !missing.isEmpty else { return found }
        // Best effort: a database that cannot be read only means reading the trees.
        let stored = (try? store.discoveryListings(of: missing)) ?? [:]
        var decoded: [ObjectID: ServiceListing] = [:]
        for (tree, text) in stored {
            if let listing = ServiceListing(encoded: text) { decoded[tree] = listing }
        }
        if !decoded.isEmpty {
            memory.withLock { memory in
                for (tree, listing) in decoded { memory.insert(listing, for: tree) }
            }
            found.merge(decoded) { first, _ in first }
        }
        return found
    }

    /// The units of a commit discovered before: from memory, else from the database (then kept in memory).
    func units(of key: CommitKey) -> UnitSet? {
        if let units = commits.withLock({ $0.first { $0.key == key }?.units }) { return units }
        // Best effort: a database that cannot be read, or a row this build cannot read back, means discovering.
        guard let store,
            let text = try? store.commitUnits(key.commit, servicesRoot: key.servicesRoot, systemRoot: key.systemRoot),
            let units = CommitUnits.decode(text, servicesRoot: key.servicesRoot)
        else { return nil }
        remember(units, of: key)
        return units
    }

    /// Keeps a commit's units, in memory and (best effort) in the database.
    func keep(_ units: UnitSet, of key: CommitKey) {
        remember(units, of: key)
        try? store?.keepCommitUnits(
            CommitUnits.encode(units),
            of: key.commit,
            servicesRoot: key.servicesRoot,
            systemRoot: key.systemRoot
        )
    }

    private func remember(_ units: UnitSet, of key: CommitKey) {
        commits.withLock { commits in
            commits.removeAll { $0.key == key }
            commits.insert((key, units), at: 0)
            if commits.count > Self.commitCapacity { commits.removeLast(commits.count - Self.commitCapacity) }
        }
    }

    /// Keeps the listings just read, in memory and (best effort) in the database.
    func keep(_ listings: [ObjectID: ServiceListing]) {
        guard !listings.isEmpty else { return }
        memory.withLock { memory in
            for (tree, listing) in listings { memory.insert(listing, for: tree) }
        }
        try? store?.keepDiscoveryListings(listings.mapValues(\.encoded))
    }

    /// How many directories memory holds now (for tests and the bench).
    package var memoryCount: Int { memory.withLock { $0.items.count } }

    private struct Memory {
        var items: [ObjectID: ServiceListing] = [:]
        /// Insertion order, for evicting the oldest when full.
        var order: [ObjectID] = []
        var head = 0

        mutating func insert(_ listing: ServiceListing, for tree: ObjectID) {
            guard items.updateValue(listing, forKey: tree) == nil else { return }
            order.append(tree)
            while items.count > DiscoveryCache.memoryCapacity, head < order.count {
                items[order[head]] = nil
                head += 1
            }
            if head > DiscoveryCache.memoryCapacity {
                order.removeFirst(head)
                head = 0
            }
        }
    }
}

/// What discovery needs of one service directory (`services/<svc>`): the entries that can make a unit or make
/// discovery fail (a Compose file by one of Compose's names directly in it or one level down, any path with an
/// empty, `.` or `..` component), with paths relative to the directory, sorted. Depends on the directory's
/// content only, so it is cached by the directory's tree id.
struct ServiceListing: Sendable, Equatable {
    let entries: [TreeEntry]

    /// Picks the relevant entries out of a directory's full recursive listing (paths relative to it).
    init(directoryEntries: [TreeEntry]) {
        entries = directoryEntries.filter { entry in
            let components = entry.path.split(separator: "/", omittingEmptySubsequences: false)
            if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) { return true }
            guard components.count == 1 || components.count == 2, let name = components.last else { return false }
            return UnitDiscovery.composeFileNames.contains(String(name))
        }
    }

    /// One entry a line: a kind letter, a space, the path (`\`, line feed and carriage return escaped).
    var encoded: String {
        entries.map { "\(Self.letter($0.kind)) \(Self.escape($0.path))" }.joined(separator: "\n")
    }

    init?(encoded: String) {
        var entries: [TreeEntry] = []
        for line in encoded.unicodeScalars.split(separator: "\n") {
            guard line.count >= 2, let kind = Self.kind(line[line.startIndex]),
                line[line.index(after: line.startIndex)] == " ",
                let path = Self.unescape(line.dropFirst(2))
            else { return nil }
            entries.append(TreeEntry(path: path, kind: kind))
        }
        self.entries = entries
    }

    private static func letter(_ kind: TreeEntry.Kind) -> Unicode.Scalar {
        switch kind {
        case .file: "f"
        case .executable: "x"
        case .symlink: "l"
        case .submodule: "s"
        }
    }

    private static func kind(_ letter: Unicode.Scalar) -> TreeEntry.Kind? {
        switch letter {
        case "f": .file
        case "x": .executable
        case "l": .symlink
        case "s": .submodule
        default: nil
        }
    }

    private static func escape(_ path: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in path.unicodeScalars {
            switch scalar {
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }

    private static func unescape(_ text: some Sequence<Unicode.Scalar>) -> String? {
        var result = String.UnicodeScalarView()
        var escaping = false
        for scalar in text {
            if escaping {
                switch scalar {
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "r": result.append("\r")
                default: return nil
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                result.append(scalar)
            }
        }
        return escaping ? nil : String(result)
    }
}

/// A commit's unit set as one text (the `commitUnits` table): a first line `system 0` or `system 1`, then one unit a
/// line, `id`, project name and Compose file name separated by tabs. Discovery refuses ids with control characters,
/// so a tab or line feed never occurs in a field; a text that does not read back exactly is treated as absent.
enum CommitUnits {
    /// Bumped when discovery's rules change, so rows written by another build are not read back.
    static let format = "units-v1"

    static func encode(_ set: UnitSet) -> String {
        var text = "\(format)\nsystem \(set.hasSystem ? 1 : 0)"
        for id in set.ids {
            guard let unit = set.units[id] else { continue }
            text += "\n\(unit.id)\t\(unit.projectName)\t\(unit.composeFile)"
        }
        return text
    }

    /// Reads back what ``encode(_:)`` wrote, or `nil`. Split on UTF-8 bytes: `String.split` walks grapheme
    /// clusters, and for a 2,000-unit row that was most of a one-shot `plan --from X --to X`.
    static func decode(_ text: String, servicesRoot: String) -> UnitSet? {
        var text = text
        return text.withUTF8 { bytes -> UnitSet? in
            func string(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: slice), as: UTF8.self)
            }
            var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)[...]
            guard let first = lines.popFirst(), string(first) == format, let second = lines.popFirst() else {
                return nil
            }
            let system = string(second)
            guard system == "system 0" || system == "system 1" else { return nil }
            var units: [ServiceUnit] = []
            units.reserveCapacity(lines.count)
            let prefix = servicesRoot + "/"
            for line in lines {
                let fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty else { return nil }
                let composeFile = string(fields[2])
                guard UnitDiscovery.composeFileNames.contains(composeFile) else { return nil }
                let id = string(fields[0])
                let project = string(fields[1])
                units.append(
                    ServiceUnit(id: id, projectName: project, directory: prefix + id, composeFile: composeFile)
                )
            }
            return UnitSet(units: units, hasSystem: system == "system 1")
        }
    }
}

import Foundation
import Git

/// A service's image between two commits: changed, new (the service is new) or removed (the service is gone).
package struct ImageChange: Codable, Sendable, Equatable {
    package enum Kind: String, Codable, Sendable {
        case changed, added, removed
    }

    package let service: String
    package let change: Kind
    /// The image at the base commit (nil for a new service, or one without an image: `build:`).
    package let from: String?
    /// The image at the head commit (nil for a removed service, or one without an image).
    package let to: String?

    package init(service: String, change: Kind, from: String?, to: String?) {
        self.service = service
        self.change = change
        self.from = from
        self.to = to
    }

    package func encode(to encoder: any Encoder) throws {
        enum K: String, CodingKey { case service, change, from, to }
        var c = encoder.container(keyedBy: K.self)
        try c.encode(service, forKey: .service)
        try c.encode(change, forKey: .change)
        if let from { try c.encode(from, forKey: .from) } else { try c.encodeNil(forKey: .from) }
        if let to { try c.encode(to, forKey: .to) } else { try c.encodeNil(forKey: .to) }
    }

    /// `lscr.io/linuxserver/plex:1.41.0 → 1.41.3` when only the tag moved, else both images whole.
    package var arrow: String {
        let (old, new) = arrowParts
        return "\(old) → \(new)"
    }

    /// The two sides of ``arrow``: the old image whole, the new one as its tag alone when only the tag moved.
    package var arrowParts: (String, String) {
        let old = from ?? "(no image)"
        let new = to ?? "(no image)"
        if let a = Self.split(old), let b = Self.split(new), a.name == b.name { return (old, b.tag) }
        return (old, new)
    }

    /// `plex 1.41.0 → 1.41.3`: the short form notifications use.
    package var short: String {
        switch change {
        case .added: return "new \(service) \(to ?? "")".trimmingCharacters(in: .whitespaces)
        case .removed: return "\(service) removed"
        case .changed:
            if let old = from, let new = to, let a = Self.split(old), let b = Self.split(new), a.name == b.name {
                return "\(service) \(a.tag) → \(b.tag)"
            }
            return "\(service) \(from ?? "(no image)") → \(to ?? "(no image)")"
        }
    }

    /// An image reference's name and tag (or digest): the tag is after the last `:` past the last `/`.
    static func split(_ image: String) -> (name: String, tag: String)? {
        if let at = image.firstIndex(of: "@") {
            return (String(image[..<at]), String(image[image.index(after: at)...]))
        }
        let lastSlash = image.lastIndex(of: "/") ?? image.startIndex
        guard let colon = image[lastSlash...].lastIndex(of: ":") else { return nil }
        return (String(image[..<colon]), String(image[image.index(after: colon)...]))
    }
}

/// What changed inside one unit between the plan's two commits, read from its Compose file (and what it
/// `extends`) and its `.env.example` at both: images, services added and removed, `.env.example` keys, ports and
/// volumes. Ports and volumes are named with their service: `plex: 32400:32400`.
package struct UnitChanges: Codable, Sendable, Equatable {
    package let unit: String
    package var images: [ImageChange] = []
    package var envKeysAdded: [String] = []
    package var envKeysRemoved: [String] = []
    package var portsAdded: [String] = []
    package var portsRemoved: [String] = []
    package var volumesAdded: [String] = []
    package var volumesRemoved: [String] = []
    /// What could not be read, so is not shown (a file this reader cannot parse, an alias).
    package var notes: [String] = []

    package init(unit: String) {
        self.unit = unit
    }

    package var isEmpty: Bool {
        images.isEmpty && envKeysAdded.isEmpty && envKeysRemoved.isEmpty && portsAdded.isEmpty
            && portsRemoved.isEmpty && volumesAdded.isEmpty && volumesRemoved.isEmpty && notes.isEmpty
    }

    /// The changes of `unit` from `old` (nil: the unit is new) to `new` (nil: the unit is pruned).
    /// - Parameters:
    ///   - read: A file's text by path at each commit (`true`: the head), nil when missing.
    package static func between(
        unit: String,
        old: ServiceUnit?,
        new: ServiceUnit?,
        read: (String, _ head: Bool) -> String?
    ) -> UnitChanges {
        var changes = UnitChanges(unit: unit)
        let before = old.map { unit in ComposeSummary.read(unit.composePath) { read($0, false) } } ?? ComposeSummary()
        let after = new.map { unit in ComposeSummary.read(unit.composePath) { read($0, true) } } ?? ComposeSummary()
        changes.notes = Array(Set(before.notes + after.notes)).sorted()
        for name in Set(before.services.keys).union(after.services.keys).sorted() {
            let a = before.services[name]
            let b = after.services[name]
            switch (a, b) {
            case (nil, let b?):
                changes.images.append(ImageChange(service: name, change: .added, from: nil, to: b.image))
            case (let a?, nil):
                changes.images.append(ImageChange(service: name, change: .removed, from: a.image, to: nil))
            case (let a?, let b?) where a.image != b.image:
                changes.images.append(ImageChange(service: name, change: .changed, from: a.image, to: b.image))
            default: break
            }
            let (portsAdded, portsRemoved) = diff(a?.ports ?? [], b?.ports ?? [])
            changes.portsAdded += portsAdded.map { "\(name): \($0)" }
            changes.portsRemoved += portsRemoved.map { "\(name): \($0)" }
            let (volumesAdded, volumesRemoved) = diff(a?.volumes ?? [], b?.volumes ?? [])
            changes.volumesAdded += volumesAdded.map { "\(name): \($0)" }
            changes.volumesRemoved += volumesRemoved.map { "\(name): \($0)" }
        }
        let keysBefore = old.flatMap { read("\($0.directory)/.env.example", false) }.map(envKeys) ?? []
        let keysAfter = new.flatMap { read("\($0.directory)/.env.example", true) }.map(envKeys) ?? []
        (changes.envKeysAdded, changes.envKeysRemoved) = diff(keysBefore, keysAfter)
        return changes
    }

    /// What is in `new` and not `old`, and the reverse, each in its own order.
    static func diff(_ old: [String], _ new: [String]) -> (added: [String], removed: [String]) {
        let oldSet = Set(old)
        let newSet = Set(new)
        return (new.filter { !oldSet.contains($0) }, old.filter { !newSet.contains($0) })
    }

    /// The keys of a dotenv file (`KEY=value`, `export KEY=value`), in order; comments and blank lines skipped.
    static func envKeys(_ text: String) -> [String] {
        var keys: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingSpaces
            if line.hasPrefix("#") || line.isEmpty { continue }
            if line.hasPrefix("export ") { line = line.dropFirst(7).trimmingSpaces }
            guard let equals = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<equals].trimmingSpaces)
            if !key.isEmpty, !keys.contains(key) { keys.append(key) }
        }
        return keys
    }
}

extension Plan {
    /// The plan with each changed and pruned unit's ``UnitChanges`` read from the two commits' files.
    /// - Parameters:
    ///   - repository: Where both commits are.
    ///   - old: The base commit's units (nil: nothing deployed, no changes are listed).
    ///   - new: The head commit's units.
    package func withChanges(in repository: Repository, old: UnitSet?, new: UnitSet) -> Plan {
        var plan = self
        guard let old, let from = from.map({ ObjectID(hex: $0.commit) }) else {
            plan.changes = []
            return plan
        }
        let to = ObjectID(hex: self.to.commit)
        var cache: [String: String?] = [:]
        func read(_ path: String, _ head: Bool) -> String? {
            let key = (head ? "T:" : "D:") + path
            if let hit = cache[key] { return hit }
            let data = try? repository.contents(of: path, at: head ? to : from)
            let text = data.flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) }
            cache[key] = text
            return text
        }
        plan.changes = steps.compactMap { step in
            guard (step.action == .up && step.reason == .changed) || step.action == .down else { return nil }
            let changes = UnitChanges.between(
                unit: step.unit,
                old: old[step.unit],
                new: step.action == .down ? nil : new[step.unit],
                read: read
            )
            return changes.isEmpty ? nil : changes
        }
        return plan
    }
}

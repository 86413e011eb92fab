/// Rules for the spelling of unit ids and repository-relative paths, shared by discovery and the config.
package enum UnitID {
    /// The id reserved for the NixOS system step; no service directory may take it.
    package static let system = "system"

    /// What is wrong with `id` as a unit id (one or two non-empty `/`-separated segments, no `.`/`..`,
    /// no control character), or nil when it is well-formed.
    /// - Parameters:
    ///   - id: The id as written in reconciler.json or on the command line.
    package static func problem(with id: String) -> String? {
        if id.isEmpty { return "a unit id cannot be empty" }
        if id.containsControlCharacter { return "a unit id cannot contain a control character" }
        let segments = id.split(separator: "/", omittingEmptySubsequences: false)
        if segments.count > 2 {
            return "a unit id is one or two path segments under the services root (\"plex\", \"sonarr/shows\")"
        }
        for segment in segments {
            if segment.isEmpty { return "a unit id cannot have an empty segment (leading, trailing or double \"/\")" }
            if segment == "." || segment == ".." { return "a unit id cannot contain \"\(segment)\"" }
        }
        return nil
    }

    /// Ids from `known` that `name` was probably meant to be, best first (at most three): the same id in
    /// another case, a small edit away, or a service name standing for its instances.
    /// - Parameters:
    ///   - name: The unknown id.
    ///   - known: The ids that exist.
    package static func closeMatches(for name: String, in known: some Collection<String>) -> [String] {
        let lowered = name.lowercased()
        let limit = lowered.count <= 4 ? 1 : 2
        var scored: [(score: Int, id: String)] = []
        for id in known {
            let candidate = id.lowercased()
            if candidate == lowered {
                scored.append((0, id))
            } else if candidate.hasPrefix(lowered + "/") || candidate.hasSuffix("/" + lowered) {
                scored.append((1, id))
            } else {
                let distance = editDistance(lowered, candidate, limit: limit)
                if distance <= limit { scored.append((1 + distance, id)) }
            }
        }
        return scored.sorted { ($0.score, $0.id) < ($1.score, $1.id) }.prefix(3).map(\.id)
    }

    /// `ids` as a readable list, cut after `limit` entries.
    package static func list(_ ids: [String], limit: Int = 25) -> String {
        if ids.isEmpty { return "(none)" }
        if ids.count <= limit { return ids.joined(separator: ", ") }
        return ids.prefix(limit).joined(separator: ", ") + ", … (\(ids.count - limit) more)"
    }

    /// Levenshtein distance, giving up (returning `limit + 1`) once it must exceed `limit`.
    static func editDistance(_ a: String, _ b: String, limit: Int) -> Int {
        let a = Array(a)
        let b = Array(b)
        if abs(a.count - b.count) > limit { return limit + 1 }
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            if current.min()! > limit { return limit + 1 }
            previous = current
        }
        return previous[b.count]
    }
}

extension StringProtocol {
    /// True when any scalar is a Unicode control character (C0, DEL, C1): such a name would garble logs
    /// and terminals, and is never what an operator meant.
    package var containsControlCharacter: Bool {
        unicodeScalars.contains { $0.properties.generalCategory == .control }
    }
}

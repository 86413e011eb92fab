/// What a plan shows of a unit's Compose file: each service's image, ports and volumes, read from git objects with
/// ``YAMLSubset`` (Compose itself is never run: a plan runs nothing from the commits). `extends` with a `file`
/// inside the repository is followed, as Compose merges it: the service's own image wins, ports and volumes add up.
/// Interpolation (`${TAG:-1.0}`) stays as written. What cannot be read is said in ``notes``, never guessed.
package struct ComposeSummary: Equatable, Sendable {
    package struct Service: Equatable, Sendable {
        package var image: String?
        package var ports: [String] = []
        package var volumes: [String] = []

        package init(image: String? = nil, ports: [String] = [], volumes: [String] = []) {
            self.image = image
            self.ports = ports
            self.volumes = volumes
        }
    }

    package var services: [String: Service] = [:]
    /// What could not be read (a file that does not parse, an `extends` leaving the repository, a YAML alias).
    package var notes: [String] = []

    /// Reads the Compose file at `path` (relative to the repository root).
    /// - Parameters:
    ///   - read: A file's text at the commit, by path relative to the repository root; nil when there is none.
    package static func read(_ path: String, _ read: (String) -> String?) -> ComposeSummary {
        var summary = ComposeSummary()
        guard let root = document(path, read, notes: &summary.notes) else { return summary }
        guard case .mapping(let services)? = root["services"] else { return summary }
        for (name, _) in services {
            var seen: Set<String> = []
            summary.services[name] = service(
                name,
                in: root,
                path: path,
                read,
                seen: &seen,
                notes: &summary.notes
            )
        }
        return summary
    }

    private static func document(_ path: String, _ read: (String) -> String?, notes: inout [String]) -> YAMLSubset.Node?
    {
        guard let text = read(path) else {
            notes.append("\(path) is not in the commit")
            return nil
        }
        do {
            return try YAMLSubset.parse(text)
        } catch {
            notes.append("\(path) could not be read (\(error))")
            return nil
        }
    }

    /// One service with what it extends merged in; `seen` stops a loop of `extends`.
    private static func service(
        _ name: String,
        in root: YAMLSubset.Node,
        path: String,
        _ read: (String) -> String?,
        seen: inout Set<String>,
        notes: inout [String]
    ) -> Service {
        guard let node = root["services"]?[name] else { return Service() }
        var result = Service()
        if let extends = node["extends"], seen.insert("\(path)#\(name)").inserted {
            let baseName = extends.text ?? extends["service"]?.text ?? name
            var basePath = path
            var baseRoot: YAMLSubset.Node? = root
            if let file = extends["file"]?.text {
                if let resolved = RepoPath.join(RepoPath.directory(of: path), file) {
                    basePath = resolved
                    baseRoot = document(resolved, read, notes: &notes)
                } else {
                    notes.append("\(path): extends \(file) leaves the repository; not followed")
                    baseRoot = nil
                }
            }
            if let baseRoot {
                result = service(baseName, in: baseRoot, path: basePath, read, seen: &seen, notes: &notes)
            }
        }
        switch node["image"] {
        case .scalar(let image)?: result.image = image
        case .unsupported(let text)?: notes.append("\(path): the image of \(name) is \(text), not followed")
        default: break
        }
        result.ports = merged(result.ports, entries(node["ports"], port))
        result.volumes = merged(result.volumes, entries(node["volumes"], volume))
        if case .unsupported? = node["<<"] { notes.append("\(path): \(name) merges a YAML anchor, not followed") }
        return result
    }

    private static func merged(_ base: [String], _ own: [String]) -> [String] {
        base + own.filter { !base.contains($0) }
    }

    private static func entries(_ node: YAMLSubset.Node?, _ long: (YAMLSubset.Node) -> String?) -> [String] {
        guard case .sequence(let items)? = node else { return [] }
        return items.compactMap { item in item.text ?? long(item) }
    }

    /// A port in the long syntax, written as the short one: `[host_ip:]published:target[/protocol]`.
    private static func port(_ node: YAMLSubset.Node) -> String? {
        guard let target = node["target"]?.text else { return nil }
        var text = target
        if let published = node["published"]?.text { text = "\(published):\(text)" }
        if let ip = node["host_ip"]?.text { text = "\(ip):\(text)" }
        if let proto = node["protocol"]?.text { text += "/\(proto)" }
        return text
    }

    /// A volume in the long syntax, written as the short one: `source:target[:ro]`.
    private static func volume(_ node: YAMLSubset.Node) -> String? {
        guard let target = node["target"]?.text else { return nil }
        var text = node["source"]?.text.map { "\($0):\(target)" } ?? target
        if node["read_only"]?.text == "true" { text += ":ro" }
        return text
    }
}

/// Paths inside the repository, `/`-separated, relative to its root.
package enum RepoPath {
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    /// `relative` under `directory`, with `.` and `..` resolved; nil when it leaves the root or is absolute.
    package static func join(_ directory: String, _ relative: String) -> String? {
        if relative.hasPrefix("/") { return nil }
        var parts = directory.split(separator: "/").map(String.init)
        for part in relative.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if parts.isEmpty { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.joined(separator: "/")
    }
}

/// The units of one tree (a commit or the working tree), by id.
package struct UnitSet: Sendable, Equatable {
    /// Every service unit, by id.
    package var units: [String: ServiceUnit]
    /// True when the tree has anything under `system.root`: only then is there a system to switch.
    package var hasSystem: Bool

    package init(units: [ServiceUnit] = [], hasSystem: Bool = false) {
        self.units = Dictionary(units.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.hasSystem = hasSystem
    }

    /// Every unit id, sorted.
    package var ids: [String] { units.keys.sorted() }

    package subscript(id: String) -> ServiceUnit? { units[id] }

    package func contains(_ id: String) -> Bool { units[id] != nil }

    /// The units of a service, sorted: `service` itself if it is a unit, and every `service/<instance>`.
    /// - Parameters:
    ///   - service: The first segment of a unit id (`sonarr`, `plex`).
    package func instances(of service: String) -> [String] {
        units.keys.filter { $0 == service || $0.hasPrefix(service + "/") }.sorted()
    }
}

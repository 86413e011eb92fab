import Foundation
import Git
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

/// The state database's discovery cache stays bounded: past its capacity the oldest directories go first.
struct DiscoveryCacheBoundTests {
    @Test func theTableKeepsTheNewestDirectoriesUpToItsCapacity() throws {
        let directory = try TemporaryDirectory(prefix: "discovery-bound")
        defer { directory.remove() }
        let store = try StateStore(directory: directory.path)
        func id(_ n: Int) -> ObjectID { ObjectID(hex: String(format: "%040x", n)) }
        let capacity = StateStore.discoveryCacheCapacity
        try store.keepDiscoveryListings(
            Dictionary(uniqueKeysWithValues: (0..<capacity).map { (id($0), "f compose.yml") })
        )
        #expect(try store.discoveryCacheCount() == capacity)
        // Ten more, each in its own write as plans add them: the ten oldest are dropped.
        for n in capacity..<(capacity + 10) {
            try store.keepDiscoveryListings([id(n): "f compose.yaml"])
        }
        #expect(try store.discoveryCacheCount() == capacity)
        #expect(try store.discoveryListings(of: [id(capacity + 9)]) == [id(capacity + 9): "f compose.yaml"])
        let kept = try store.discoveryListings(of: (0..<capacity).map(id))
        #expect(kept.count == capacity - 10)
    }
}

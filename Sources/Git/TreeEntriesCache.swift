/// The recursive listings of the few commits walked last, most recent first. A commit id names one tree forever, so
/// an entry is never stale; the capacity only bounds memory (a 6,000-file listing is about 0.5 MB).
struct TreeEntriesCache: Sendable {
    let capacity: Int
    private var items: [(commit: ObjectID, entries: [TreeEntry])] = []

    init(capacity: Int) {
        self.capacity = capacity
    }

    mutating func entries(of commit: ObjectID) -> [TreeEntry]? {
        guard let index = items.firstIndex(where: { $0.commit == commit }) else { return nil }
        let item = items.remove(at: index)
        items.insert(item, at: 0)
        return item.entries
    }

    mutating func insert(_ entries: [TreeEntry], of commit: ObjectID) {
        items.removeAll { $0.commit == commit }
        items.insert((commit, entries), at: 0)
        if items.count > capacity { items.removeLast(items.count - capacity) }
    }
}

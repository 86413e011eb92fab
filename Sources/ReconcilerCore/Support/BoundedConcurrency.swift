/// `transform` over `items`, at most `width` at a time (at least one), results in the order of `items`.
package func boundedMap<Item: Sendable, Result: Sendable>(
    _ items: [Item],
    width: Int,
    _ transform: @escaping @Sendable (Item) async -> Result
) async -> [Result] {
    var results = [Result?](repeating: nil, count: items.count)
    await withTaskGroup(of: (Int, Result).self) { group in
        var next = 0
        func start() {
            let index = next
            let item = items[index]
            next += 1
            group.addTask { (index, await transform(item)) }
        }
        while next < items.count && next < max(1, width) { start() }
        for await (index, result) in group {
            results[index] = result
            if next < items.count { start() }
        }
    }
    return results.map { $0! }
}

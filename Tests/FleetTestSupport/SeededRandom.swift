import FleetModel

/// A seeded generator: property tests draw thousands of cases, and a failing case is reproduced
/// from its seed.
package typealias SeededRandom = SplitMix64

extension SplitMix64 {
    /// One of `items`.
    package mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &self)]
    }

    /// A string of `count` characters drawn from `alphabet`.
    package mutating func string(_ count: Int, from alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<count).map { _ in pick(characters) })
    }
}

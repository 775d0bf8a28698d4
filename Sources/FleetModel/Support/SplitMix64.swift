import Synchronization

/// A small, fast generator (SplitMix64): the retry jitter's source, and the tests' seeded one.
package struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The retry jitter's numbers in [0, 1), seeded once from the system's generator: drawing one
/// costs no system call (the system's generator makes a `getrandom` call a number, and a run
/// draws one a request).
package final class JitterSource: Sendable {
    private let generator: Mutex<SplitMix64>

    package init(seed: UInt64 = .random(in: .min ... .max)) {
        generator = Mutex(SplitMix64(seed: seed))
    }

    package func next() -> Double {
        generator.withLock { Double.random(in: 0..<1, using: &$0) }
    }
}

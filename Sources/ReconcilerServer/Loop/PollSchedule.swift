/// When the next poll happens: every `interval` with ±10 % jitter, and while fetching fails, exponentially later up to
/// `maxBackoff` (back to `interval` on the first success). Pure, so tests check it without waiting.
package struct PollSchedule: Sendable, Equatable {
    package var interval: Duration
    package var maxBackoff: Duration
    /// Fraction of the delay added or taken away at random (0.1 = ±10 %).
    package var jitter: Double

    package init(interval: Duration, maxBackoff: Duration = .seconds(15 * 60), jitter: Double = 0.1) {
        self.interval = interval
        self.maxBackoff = maxBackoff
        self.jitter = jitter
    }

    /// The delay before the next poll.
    /// - Parameters:
    ///   - consecutiveFailures: Fetch failures in a row (0 after a success).
    ///   - random: A number in -1...1 (the jitter's draw).
    package func delay(consecutiveFailures: Int, random: Double) -> Duration {
        var base = interval
        if consecutiveFailures > 0 {
            // 2×, 4×, 8× … the interval, never more than maxBackoff.
            let factor = 1 << min(consecutiveFailures, 20)
            base = interval * factor
            if base > maxBackoff { base = maxBackoff }
        }
        let clamped = max(-1, min(1, random))
        // Whole milliseconds: plenty for a timer, and exact to compare.
        let milliseconds = (base.seconds * (1 + jitter * clamped) * 1000).rounded()
        let delay = Duration.milliseconds(Int64(milliseconds))
        return consecutiveFailures > 0 ? min(delay, maxBackoff) : delay
    }

    /// `delay` with a fresh random draw.
    package func nextDelay(consecutiveFailures: Int) -> Duration {
        delay(consecutiveFailures: consecutiveFailures, random: Double.random(in: -1...1))
    }
}

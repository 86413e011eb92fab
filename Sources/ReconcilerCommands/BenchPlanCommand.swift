import ArgumentParser
import Foundation
import ReconcilerCore

/// `reconciler bench-plan` (hidden, for `make bench`): the daemon's warm plan, timed in-process. Opens one session
/// (one repository handle, as the daemon keeps), plans once to warm it, then prints each further plan's
/// milliseconds, one a line.
struct BenchPlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-plan",
        abstract: "Time repeated plans on one repository handle (make bench).",
        shouldDisplay: false
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "The commit deployed from.")
    var from: String?

    @Option(help: "The commit deployed to.")
    var to: String?

    @Option(help: "How many timed plans.")
    var iterations = 50

    func run() async throws {
        try await runCommand {
            let session = try Session.open(global, command: "bench-plan", locking: false, reporter: SilentReporter())
            let clock = ContinuousClock()
            let cold = try await clock.measure {
                _ = try await session.reconciler.plan(from: from, to: to).json()
            }
            FileHandle.standardError.write(Data("cold \(Self.milliseconds(cold))\n".utf8))
            for _ in 0..<max(iterations, 1) {
                let elapsed = try await clock.measure {
                    _ = try await session.reconciler.plan(from: from, to: to).json()
                }
                Console.line(Self.milliseconds(elapsed))
            }
            return 0
        }
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.3f", ms)
    }
}

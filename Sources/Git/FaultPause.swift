import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Test-only fault injection for the fault-matrix tests (docs/testing.md): with `RECONCILER_FAULT_PAUSE=checkout`
/// in its environment, the process stops itself (`SIGSTOP`) half-way through a checkout — libgit2 runs in-process,
/// so there is no outside command a test could hold there — and the test kills it with `SIGKILL`. Read only at that
/// point; unset in production, where it changes nothing.
package enum FaultPause {
    package static let variable = "RECONCILER_FAULT_PAUSE"

    /// Whether a checkout should stop the process after its first file.
    package static var checkout: Bool {
        ProcessInfo.processInfo.environment[variable] == "checkout"
    }

    /// Stops this process until it gets `SIGCONT` (or is killed).
    package static func stop() {
        raise(SIGSTOP)
    }
}

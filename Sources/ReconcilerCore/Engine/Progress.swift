/// What a running command reports as it goes, so a slow deploy never looks hung.
package enum ProgressEvent: Sendable {
    case info(String)
    case warning(String)
    case plan(Plan)
    case stepStarted(phase: StepPhase, unit: String, action: String)
    /// A step still waiting (health gate, slow `up`): how long so far and on what.
    case stepWaiting(unit: String, elapsed: Duration, detail: String)
    case stepFinished(phase: StepPhase, unit: String, action: String, ok: Bool, message: String, duration: Duration)
    /// A line a tool printed (shown with --verbose).
    case output(unit: String, line: String)
}

package protocol ProgressReporter: Sendable {
    func report(_ event: ProgressEvent)
}

/// Reports nothing (`--json` output, tests of the library).
package struct SilentReporter: ProgressReporter {
    package init() {}
    package func report(_ event: ProgressEvent) {}
}

import Logging
import ReconcilerCore

/// The engine's progress as log lines with key=value metadata (what journald shows for the daemon).
package struct LogReporter: ProgressReporter {
    let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    package func report(_ event: ProgressEvent) {
        switch event {
        case .info(let message):
            // "Fetching origin main …" every poll is noise in the journal; the poll's own line says what happened.
            if message.hasPrefix("Fetching ") { logger.debug("\(message)") } else { logger.info("\(message)") }
        case .warning(let message):
            logger.warning("\(message)")
        case .plan(let plan):
            if !plan.steps.isEmpty {
                logger.info("plan", metadata: ["steps": "\(plan.steps.map { "\($0.unit):\($0.action.rawValue)" })"])
            }
        case .stepStarted(let phase, let unit, let action):
            logger.info(
                "step started",
                metadata: ["phase": "\(phase.rawValue)", "unit": "\(unit)", "action": "\(action)"]
            )
        case .stepWaiting(let unit, let elapsed, let detail):
            logger.debug("step waiting", metadata: ["unit": "\(unit)", "elapsed": "\(elapsed)", "detail": "\(detail)"])
        case .stepFinished(let phase, let unit, let action, let ok, let message, let duration):
            let meta: Logger.Metadata = [
                "phase": "\(phase.rawValue)", "unit": "\(unit)", "action": "\(action)", "ok": "\(ok)",
                "duration": "\(duration)", "detail": "\(message)",
            ]
            if ok { logger.info("step finished", metadata: meta) } else { logger.error("step failed", metadata: meta) }
        case .output(let unit, let line):
            logger.trace("output", metadata: ["unit": "\(unit)", "line": "\(line)"])
        }
    }
}

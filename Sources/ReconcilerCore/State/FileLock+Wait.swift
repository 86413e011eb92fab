import Foundation

extension FileLock {
    /// The holder command the daemon writes while it polls or heals.
    package static let daemonCommand = "reconciler run"

    /// Takes the lock, waiting up to `patience` while the daemon holds it for one of its short polls; any other holder
    /// (an operator's command, or the daemon deploying for longer than `patience`) fails at once or after the wait.
    package static func acquire(path: String, command: String, patience: Duration) throws(LockError) -> FileLock {
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                return try acquire(path: path, command: command)
            } catch {
                guard error.code == .held, error.holder?.command == daemonCommand, ContinuousClock.now < deadline else {
                    throw error
                }
                usleep(50_000)
            }
        }
    }
}

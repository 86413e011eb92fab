/// How the daemon paces itself; `reconciler run`'s options and the configuration fill it in.
package struct DaemonOptions: Sendable {
    package var pollInterval: Duration
    /// How long a running step may take to finish after SIGTERM before the daemon exits anyway (the next start then
    /// rolls the interrupted step back).
    package var shutdownGrace: Duration
    /// The longest the loop waits after a wake-up for more requests, so a burst of hooks causes one fetch.
    package var debounce: Duration
    /// The wait ends once no request has come for this long (a lone push waits only this).
    package var quiet: Duration
    package var heal: Bool
    package var healBudget: Int
    package var healWindow: Duration
    package var notifyFetchFailureAfter: Duration

    package init(
        pollInterval: Duration = .seconds(60),
        shutdownGrace: Duration = .seconds(60),
        debounce: Duration = .milliseconds(300),
        quiet: Duration = .milliseconds(60),
        heal: Bool = true,
        healBudget: Int = 5,
        healWindow: Duration = .seconds(30 * 60),
        notifyFetchFailureAfter: Duration = .seconds(30 * 60)
    ) {
        self.pollInterval = pollInterval
        self.shutdownGrace = shutdownGrace
        self.debounce = debounce
        self.quiet = quiet
        self.heal = heal
        self.healBudget = healBudget
        self.healWindow = healWindow
        self.notifyFetchFailureAfter = notifyFetchFailureAfter
    }
}

import Foundation
import Logging
import ReconcilerCore
import ServiceLifecycle
import Synchronization

/// The daemon's loop as a `Service`: recover, then poll on the timer or when asked, deploy what is new, heal what
/// died, and report. One poll at a time; requests that arrive meanwhile leave one follow-up poll.
package final class PollLoop: Service, Sendable {
    let engine: any DeployEngine
    let wakeup: Wakeup
    let state: DaemonState
    let metrics: DaemonMetrics
    let notifier: any NotificationSink
    let logger: Logger
    let options: DaemonOptions
    /// Where `/status` and the page read what runs (nil in tests that do not serve them).
    let view: StatusView?
    private let budget: Mutex<HealBudget>
    private let fetchFailureNotified = Mutex(false)
    /// The unit file and executable this daemon started from (SelfRestart.swift); nil: not watched.
    let selfRestart = SelfRestart.fromEnvironment()

    package init(
        engine: any DeployEngine,
        wakeup: Wakeup,
        state: DaemonState,
        metrics: DaemonMetrics,
        notifier: any NotificationSink,
        logger: Logger,
        options: DaemonOptions,
        view: StatusView? = nil
    ) {
        self.engine = engine
        self.wakeup = wakeup
        self.state = state
        self.metrics = metrics
        self.notifier = notifier
        self.logger = logger
        self.options = options
        self.view = view
        self.budget = Mutex(HealBudget(limit: options.healBudget, window: options.healWindow))
    }

    package func run() async throws {
        let done = OneShot()
        let loop = Task {
            await self.loop()
            done.fire()
        }
        let grace = options.shutdownGrace
        await withGracefulShutdownHandler {
            await done.wait()
        } onGracefulShutdown: { [state, wakeup, logger] in
            wakeup.close()
            if state.snapshot.deploying {
                logger.notice(
                    "shutdown: letting the running step finish",
                    metadata: ["grace.seconds": "\(Int(grace.seconds))"]
                )
            } else {
                logger.notice("shutdown: the poll loop stops")
            }
            Task {
                try? await Task.sleep(for: grace)
                if !done.isFired {
                    logger.warning(
                        "shutdown: the running step did not finish in time; the next start rolls it back",
                        metadata: ["grace.seconds": "\(Int(grace.seconds))"]
                    )
                    done.fire()
                }
            }
        }
        _ = loop
    }

    func loop() async {
        do {
            try await engine.recover()
        } catch {
            logger.warning("recovery at start did not run", metadata: ["error": "\(error)"])
        }
        let schedule = PollSchedule(interval: options.pollInterval)
        var trigger = PollTrigger.poll
        while !wakeup.isClosed {
            await cycle(trigger)
            if wakeup.isClosed { break }
            if let why = selfRestart?.reason() {
                logger.notice("restarting: the loop stops so systemd starts the new one", metadata: ["why": "\(why)"])
                break
            }
            // Fetch failures and engine outages back off alike: the world needs time, not more polls.
            let delay = schedule.nextDelay(consecutiveFailures: state.snapshot.backingOff)
            state.update { $0.nextPollAt = Date().addingTimeInterval(delay.seconds) }
            if let woke = await wakeup.wait(for: delay) {
                trigger = woke
                await settle()
            } else {
                trigger = .poll
            }
        }
        state.update { $0.nextPollAt = nil }
    }

    /// A burst of hooks (or a push that fires several) is one fetch: after a wake-up, waits until no further request
    /// has come for ``DaemonOptions/quiet`` (at most ``DaemonOptions/debounce`` in all). A lone push waits only the
    /// quiet time.
    func settle() async {
        guard options.debounce > .zero else { return }
        let clock = ContinuousClock()
        let deadline = clock.now + options.debounce
        while clock.now < deadline {
            try? await Task.sleep(for: min(options.quiet, deadline - clock.now))
            guard wakeup.drain() != nil else { return }
            state.update { $0.coalesced += 1 }
        }
    }

    /// One poll, then a look at the live units (for `/status` and the self-heal), then the gauges.
    func cycle(_ trigger: PollTrigger) async {
        state.update { $0.deploying = true }
        defer { state.update { $0.deploying = false } }
        let outcome = await engine.poll(trigger: trigger)
        record(outcome, trigger: trigger)
        var live: [LiveUnit]?
        if case .busy = outcome {
        } else if options.heal || view != nil, !wakeup.isClosed {
            live = await listLive()
            if let live {
                view?.observe(live)
                if options.heal { await heal(live) }
            }
        }
        updateGauges(live)
    }

    func record(_ outcome: PollOutcome, trigger: PollTrigger) {
        let now = Date()
        var result = "ok"
        var message: String?
        switch outcome {
        case .fetchFailed(let why):
            result = "fetch_failed"
            message = why
            metrics.fetchFailed()
            var since = now
            state.update {
                $0.consecutiveFetchFailures += 1
                $0.fetchFailingSince = $0.fetchFailingSince ?? now
                $0.fetchError = why
                since = $0.fetchFailingSince ?? now
            }
            logger.warning(
                "fetch failed",
                metadata: [
                    "trigger": "\(trigger.rawValue)", "failing.since": "\(since.formatted(.iso8601))",
                    "error": "\(why)",
                ]
            )
            if now.timeIntervalSince(since) >= options.notifyFetchFailureAfter.seconds {
                let first = fetchFailureNotified.withLock { sent in
                    defer { sent = true }
                    return !sent
                }
                if first {
                    notifier.publish(
                        NotificationEvent(
                            kind: .fetchFailing,
                            commit: nil,
                            message: "since \(since.formatted(.iso8601)): \(why)"
                        )
                    )
                }
            }
        case .nothingToDo(_, let why):
            message = why
            logger.debug("poll", metadata: ["trigger": "\(trigger.rawValue)", "result": "\(why)"])
        case .deployed(let head, .outage(let why), _):
            result = "outage"
            message = why
            recordOutage(why, commit: head, trigger: trigger, now: now)
        case .deployed(let head, let deploy, let duration):
            result = deploy == .succeeded ? "deployed" : "failed"
            let name = Self.resultName(deploy)
            message = Self.detail(deploy)
            metrics.deployment(trigger: trigger.rawValue, result: name, duration: duration)
            let latest = try? engine.history(limit: 1).first
            let steps = latest?.steps.filter { $0.phase == .apply } ?? []
            let units = steps.map(\.unit)
            let meta: Logger.Metadata = [
                "trigger": "\(trigger.rawValue)", "commit": "\(head.prefix(12))", "result": "\(name)",
                "duration.seconds": "\(String(format: "%.1f", duration.seconds))",
            ]
            if deploy == .succeeded {
                logger.notice("deployed", metadata: meta)
            } else {
                logger.error("deploy failed", metadata: meta.merging(["error": "\(message ?? "")"]) { a, _ in a })
            }
            if var event = Self.event(deploy, commit: head, units: Array(Set(units)).sorted()) {
                // "Deployed 1a2b3c: plex 1.41.0 → 1.41.3": the image changes, read from git.
                if deploy == .succeeded, let id = latest?.id,
                    let images = (try? engine.deploymentDetail(id: id))?.imageSummary, !images.isEmpty
                {
                    event = NotificationEvent(kind: .succeeded, commit: head, units: event.units, message: images)
                }
                notifier.publish(event)
            }
            if deploy == .succeeded,
                let reboot = steps.first(where: {
                    $0.logTail.hasPrefix(StatusReport.rebootPrefix) && $0.unit == UnitID.system
                })
            {
                notifier.publish(
                    NotificationEvent(
                        kind: .rebootNeeded,
                        commit: head,
                        units: [UnitID.system],
                        message: reboot.logTail
                    )
                )
            }
        case .busy(let why):
            result = "busy"
            message = why
            logger.info("poll skipped: another reconciler command holds the lock", metadata: ["holder": "\(why)"])
        case .refused(let why):
            result = "refused"
            message = why
            logger.warning("poll refused", metadata: ["reason": "\(why)"])
        }
        endOutage(after: outcome)
        if case .fetchFailed = outcome {
        } else if case .busy = outcome {
        } else if state.snapshot.consecutiveFetchFailures > 0 {
            let since = state.snapshot.fetchFailingSince
            logger.notice("fetch works again", metadata: ["failing.since": "\(since?.formatted(.iso8601) ?? "")"])
            state.update {
                $0.consecutiveFetchFailures = 0
                $0.fetchFailingSince = nil
                $0.fetchError = nil
            }
            fetchFailureNotified.withLock { $0 = false }
        }
        metrics.poll(result: result, at: now)
        state.update {
            $0.lastPollAt = now
            $0.lastPollResult = result
            $0.lastPollMessage = message
        }
    }

    /// A poll met an outage (the engine unreachable): counted for the back-off, logged, notified once when it starts.
    private func recordOutage(_ why: String, commit: String, trigger: PollTrigger, now: Date) {
        var first = false
        var since = now
        state.update {
            first = $0.consecutiveOutages == 0
            $0.consecutiveOutages += 1
            $0.outageSince = $0.outageSince ?? now
            $0.outageCause = why
            since = $0.outageSince ?? now
        }
        let cause = why.split(separator: "\n").first.map(String.init) ?? why
        logger.warning(
            "outage: the commit waits",
            metadata: [
                "trigger": "\(trigger.rawValue)", "commit": "\(commit.prefix(12))",
                "since": "\(since.formatted(.iso8601))", "error": "\(cause)",
            ]
        )
        if first {
            notifier.publish(NotificationEvent(kind: .outage, commit: commit, message: cause))
        }
    }

    /// The first poll past an outage that is not one (a fetch failure or a busy lock says nothing of the engine)
    /// ends it; a deploy's own event says so, otherwise `recovered` does.
    private func endOutage(after outcome: PollOutcome) {
        let since = state.snapshot.outageSince
        guard let since else { return }
        switch outcome {
        case .deployed(_, .outage, _), .fetchFailed, .busy: return
        default: break
        }
        state.update {
            $0.consecutiveOutages = 0
            $0.outageSince = nil
            $0.outageCause = nil
        }
        logger.notice("outage over", metadata: ["since": "\(since.formatted(.iso8601))"])
        if case .deployed = outcome { return }
        notifier.publish(
            NotificationEvent(kind: .recovered, commit: nil, message: "outage since \(since.formatted(.iso8601))")
        )
    }

    /// The deployed units and their containers, from one Engine API call.
    private func listLive() async -> [LiveUnit]? {
        do {
            return try await engine.liveUnits()
        } catch {
            logger.warning("cannot list containers", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Brings back deployed units whose containers died, within the budget.
    func heal(_ live: [LiveUnit]) async {
        for unit in live {
            guard let reason = HealPolicy.reason(unit) else { continue }
            let now = ContinuousClock.now
            let allowed = budget.withLock { $0.take(unit.id, now: now) }
            if !allowed {
                let report = budget.withLock { $0.shouldReportExhaustion(unit.id) }
                if report {
                    logger.error(
                        "self-heal: budget exhausted; not healing again until the window has room",
                        metadata: [
                            "unit": "\(unit.id)", "budget": "\(options.healBudget)",
                            "window.seconds": "\(Int(options.healWindow.seconds))", "reason": "\(reason)",
                        ]
                    )
                    notifier.publish(
                        NotificationEvent(
                            kind: .healBudgetExhausted,
                            commit: nil,
                            units: [unit.id],
                            message:
                                "\(options.healBudget) heals in \(Int(options.healWindow.seconds / 60)) min; \(reason)"
                        )
                    )
                }
                continue
            }
            logger.notice("self-heal: bringing unit back", metadata: ["unit": "\(unit.id)", "reason": "\(reason)"])
            let started = ContinuousClock.now
            let outcome = await engine.heal(unit: unit.id)
            let duration = ContinuousClock.now - started
            metrics.deployment(trigger: "heal", result: Self.resultName(outcome), duration: duration)
            if outcome == .succeeded {
                metrics.healed(unit: unit.id)
                logger.notice("self-heal: unit healed", metadata: ["unit": "\(unit.id)"])
                notifier.publish(NotificationEvent(kind: .healed, commit: nil, units: [unit.id], message: reason))
            } else {
                logger.error(
                    "self-heal: failed",
                    metadata: ["unit": "\(unit.id)", "error": "\(Self.detail(outcome) ?? "")"]
                )
            }
        }
        publishBudget()
    }

    private func publishBudget() {
        let now = ContinuousClock.now
        let (used, limit) = budget.withLock { ($0.snapshot(now: now), $0.limit) }
        state.update { s in
            s.healBudget = used.mapValues { .init(used: $0, limit: limit, exhausted: $0 >= limit) }
        }
    }

    func updateGauges(_ live: [LiveUnit]?) {
        guard let marks = try? engine.marks() else { return }
        var up: [String: Bool] = [:]
        for unit in live ?? [] {
            up[unit.id] =
                !unit.containers.isEmpty && unit.containers.allSatisfy { $0.state == "running" || $0.exitCode == 0 }
        }
        metrics.update(
            from: StatusSummary(
                deployedCommit: marks.deployed,
                degraded: marks.degraded,
                held: marks.held,
                outage: marks.outage,
                unitsUp: up
            )
        )
    }

    static func resultName(_ outcome: DeployOutcome) -> String {
        switch outcome {
        case .succeeded: "succeeded"
        case .nothingToDo: "nothing"
        case .invalid: "invalid"
        case .rolledBack: "rolledBack"
        case .failed: "failed"
        case .degraded: "degraded"
        case .outage: "outage"
        }
    }

    static func detail(_ outcome: DeployOutcome) -> String? {
        switch outcome {
        case .succeeded: nil
        case .nothingToDo(let m), .invalid(let m), .rolledBack(let m), .failed(let m), .degraded(let m),
            .outage(let m):
            m
        }
    }

    static func event(_ outcome: DeployOutcome, commit: String, units: [String]) -> NotificationEvent? {
        switch outcome {
        case .succeeded: NotificationEvent(kind: .succeeded, commit: commit, units: units, message: "")
        case .nothingToDo: nil
        case .invalid(let m), .failed(let m):
            NotificationEvent(kind: .failed, commit: commit, units: units, message: m)
        case .outage(let m): NotificationEvent(kind: .outage, commit: commit, units: units, message: m)
        case .rolledBack(let m): NotificationEvent(kind: .rolledBack, commit: commit, units: units, message: m)
        case .degraded(let m): NotificationEvent(kind: .degraded, commit: commit, units: units, message: m)
        }
    }
}

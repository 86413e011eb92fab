import Foundation
import Logging
import ReconcilerCore
import Synchronization

/// Sets commit statuses on the forge (`forge` in the host's configuration): `pending` when a deployment of a new
/// commit starts, then `success`, `failure` or `error` when it ends. Each status is sent in its own task, after the
/// ones before it (so the forge sees them in order), through ``HTTPPoster`` (https only, by `curl`); a failing or
/// hanging forge never blocks or fails a deploy: a few retries with back-off, then the failure is counted
/// (`onFailure`) and logged, the same failure at most once an hour. The token is read from its file at each send and
/// masked everywhere.
package final class ForgeStatuses: Sendable {
    let forge: ForgeSettings
    let host: String
    let poster: HTTPPoster
    let retryDelays: [Duration]
    let logger: Logger
    private let failureHandler = Mutex<(@Sendable () -> Void)?>(nil)
    private let latestDeploymentID = Mutex<(@Sendable () -> Int64?)?>(nil)
    private let queue = Mutex<Task<Void, Never>?>(nil)
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])
    /// The commit the last `pending` was sent for: what a one-shot `sync` finishes.
    private let pended = Mutex<String?>(nil)

    /// - Parameters:
    ///   - host: Statuses are set with context `reconciler/<host>`.
    package init(
        forge: ForgeSettings,
        host: String,
        logger: Logger,
        poster: HTTPPoster = HTTPPoster(timeout: .seconds(10)),
        retryDelays: [Duration] = [.seconds(2), .seconds(10), .seconds(30)]
    ) {
        self.forge = forge
        self.host = host
        self.logger = logger
        self.poster = poster
        self.retryDelays = retryDelays
        SecretMasker.shared.addSecretFile(atPath: forge.tokenFile)
    }

    /// Called once per status that could not be set after every retry (the daemon counts them:
    /// `reconciler_forge_status_failures_total`).
    package func onFailure(_ handler: @escaping @Sendable () -> Void) {
        failureHandler.withLock { $0 = handler }
    }

    /// Where the id of the latest deployment comes from, for a status's link to `/deployments/<id>`.
    package func latestDeployment(_ id: @escaping @Sendable () -> Int64?) {
        latestDeploymentID.withLock { $0 = id }
    }

    /// A deployment of `commit` starts.
    package func pending(commit: String) {
        pended.withLock { $0 = commit }
        send(CommitStatus(state: .pending, commit: commit, description: "deploying", targetURL: forge.statusPageURL))
    }

    /// A deployment of `commit` ended with `outcome` (nothing is sent for one that deployed nothing).
    package func finished(_ outcome: DeployOutcome, commit: String) {
        if let status = CommitStatus.finished(outcome, commit: commit, targetURL: deploymentURL()) { send(status) }
    }

    /// A one-shot `sync` ended: the commit it sent `pending` for gets its result.
    package func finishedPended(_ outcome: DeployOutcome) {
        if let commit = pended.withLock({ $0 }) { finished(outcome, commit: commit) }
    }

    /// The status page's `/deployments/<id>` of the latest deployment (nil without `statusPageURL`).
    func deploymentURL() -> String? {
        guard let page = forge.statusPageURL else { return nil }
        return latestDeploymentID.withLock({ $0 })?().map { "\(page)/deployments/\($0)" } ?? page
    }

    package func send(_ status: CommitStatus) {
        queue.withLock { last in
            let previous = last
            last = Task.detached { [self] in
                await previous?.value
                await deliver(status)
            }
        }
    }

    /// Waits for the statuses sent so far, at most `limit` (a one-shot command exits after that: its deploy is
    /// done whatever the forge does). Returns whether they were all delivered or given up on in time.
    @discardableResult
    package func drain(within limit: Duration) async -> Bool {
        guard let last = queue.withLock({ $0 }) else { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await last.value
                return true
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    func deliver(_ status: CommitStatus) async {
        var lastError = ""
        for attempt in 0...retryDelays.count {
            if attempt > 0 { try? await Task.sleep(for: retryDelays[attempt - 1]) }
            do {
                let token = try Notifier.readToken(forge.tokenFile)
                let (url, headers, body) = status.request(forge, host: host, token: token)
                let answer = try await poster.post(url, headers: headers, body: body)
                guard (200..<300).contains(answer) else {
                    lastError = "the forge answered HTTP \(answer)"
                    continue
                }
                logger.debug("commit status set", metadata: metadata(status))
                return
            } catch {
                lastError = SecretMasker.shared.mask("\(error)")
            }
        }
        failureHandler.withLock { $0 }?()
        let now = ContinuousClock.now
        let log = lastLogged.withLock { seen -> Bool in
            if let last = seen[lastError], now - last < .seconds(3600) { return false }
            seen[lastError] = now
            return true
        }
        if log {
            logger.warning(
                "commit status not set; the same failure is logged again in an hour at the earliest",
                metadata: metadata(status).merging(
                    ["attempts": "\(retryDelays.count + 1)", "error": "\(lastError)"]
                ) { a, _ in a }
            )
        }
    }

    private func metadata(_ status: CommitStatus) -> Logger.Metadata {
        [
            "forge.kind": "\(forge.kind.rawValue)", "forge.repository": "\(forge.repository)",
            "commit": "\(status.commit.prefix(12))", "state": "\(status.state.rawValue)",
        ]
    }
}

/// Passes progress on, and sends `pending` when a deployment to a new commit starts (its plan is reported).
package struct ForgeStatusReporter: ProgressReporter {
    let inner: any ProgressReporter
    let statuses: ForgeStatuses

    package init(_ inner: any ProgressReporter, statuses: ForgeStatuses) {
        self.inner = inner
        self.statuses = statuses
    }

    package func report(_ event: ProgressEvent) {
        // A heal or `deploy <unit>` plans from the deployed commit to itself: no new commit, no status.
        if case .plan(let plan) = event, !plan.isEmpty, plan.from?.commit != plan.to.commit {
            statuses.pending(commit: plan.to.commit)
        }
        inner.report(event)
    }
}

/// Passes notifications on, and sets each deployment's final status from the daemon's own events.
package struct ForgeStatusSink: NotificationSink {
    let inner: any NotificationSink
    let statuses: ForgeStatuses

    package init(_ inner: any NotificationSink, statuses: ForgeStatuses) {
        self.inner = inner
        self.statuses = statuses
    }

    package func publish(_ event: NotificationEvent) {
        inner.publish(event)
        guard let commit = event.commit else { return }
        let outcome: DeployOutcome
        switch event.kind {
        case .succeeded: outcome = .succeeded
        case .failed: outcome = .failed(event.message)
        case .rolledBack: outcome = .rolledBack(event.message)
        case .degraded: outcome = .degraded(event.message)
        case .outage: outcome = .outage(event.message)
        case .healed, .healBudgetExhausted, .fetchFailing, .recovered, .rebootNeeded: return
        }
        statuses.finished(outcome, commit: commit)
    }
}

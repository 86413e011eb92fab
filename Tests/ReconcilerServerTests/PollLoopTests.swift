import Foundation
import Logging
import ReconcilerCore
import Synchronization
import Testing

@testable import ReconcilerServer

/// The loop over a recording engine: coalescing, back-off, heal budget. Timing is loose on purpose (shared CI).
struct PollLoopTests {
    final class Collected: NotificationSink {
        let events = Mutex<[NotificationEvent]>([])
        func publish(_ event: NotificationEvent) { events.withLock { $0.append(event) } }
    }

    func makeLoop(
        _ engine: RecordingEngine,
        options: DaemonOptions,
        notifier: any NotificationSink = NoNotifications()
    )
        -> (PollLoop, Wakeup, DaemonState)
    {
        let wakeup = Wakeup()
        let state = DaemonState(
            DaemonSnapshot(startedAt: Date(), pollInterval: options.pollInterval, healWindow: options.healWindow)
        )
        let loop = PollLoop(
            engine: engine,
            wakeup: wakeup,
            state: state,
            metrics: DaemonMetrics(version: "test"),
            notifier: notifier,
            logger: Logger(label: "test"),
            options: options
        )
        return (loop, wakeup, state)
    }

    func waitUntil(_ timeout: Duration = .seconds(60), _ condition: () -> Bool) async {
        let deadline = ContinuousClock.now + timeout
        while !condition(), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    }

    @Test func hooksDuringAPollBecomeOneFollowUpPoll() async {
        let engine = RecordingEngine(pollDelay: .milliseconds(500))
        let (loop, wakeup, _) = makeLoop(engine, options: DaemonOptions(pollInterval: .seconds(3600), heal: false))
        let task = Task { await loop.loop() }
        await waitUntil { engine.calls.withLock { $0.polls.count } == 1 }
        // The first poll (at start) is running: 20 hooks arrive.
        for _ in 0..<20 { wakeup.request(.webhook) }
        await waitUntil { engine.calls.withLock { $0.polls.count } >= 2 }
        try? await Task.sleep(for: .seconds(1.5))
        wakeup.close()
        await task.value
        #expect(engine.calls.withLock { $0.polls } == [.poll, .webhook])
        #expect(engine.calls.withLock { $0.recovered } == 1)
    }

    @Test func aBurstWhileIdleIsOneFetch() async {
        let engine = RecordingEngine()
        let (loop, wakeup, _) = makeLoop(engine, options: DaemonOptions(pollInterval: .seconds(3600), heal: false))
        let task = Task { await loop.loop() }
        await waitUntil { engine.calls.withLock { $0.polls.count } == 1 }
        try? await Task.sleep(for: .milliseconds(100))
        for _ in 0..<20 {
            wakeup.request(.webhook)
            try? await Task.sleep(for: .milliseconds(5))
        }
        try? await Task.sleep(for: .seconds(1.5))
        wakeup.close()
        await task.value
        #expect(engine.calls.withLock { $0.polls } == [.poll, .webhook])
    }

    @Test func aLoneHookIsPolledAfterTheQuietTimeNotTheWholeDebounce() async {
        let engine = RecordingEngine()
        let options = DaemonOptions(pollInterval: .seconds(3600), debounce: .seconds(60), heal: false)
        let (loop, wakeup, _) = makeLoop(engine, options: options)
        let task = Task { await loop.loop() }
        await waitUntil { engine.calls.withLock { $0.polls.count } == 1 }
        wakeup.request(.webhook)
        // Nothing else arrives: the loop polls once the quiet time (60 ms) has passed, long before the 60 s cap.
        await waitUntil(.seconds(20)) { engine.calls.withLock { $0.polls.count } == 2 }
        wakeup.close()
        await task.value
        #expect(engine.calls.withLock { $0.polls } == [.poll, .webhook])
    }

    @Test func fetchFailuresBackOffAndRecover() async {
        let engine = RecordingEngine(outcomes: [.fetchFailed("unreachable"), .fetchFailed("unreachable")])
        let (loop, _, state) = makeLoop(
            engine,
            options: DaemonOptions(pollInterval: .milliseconds(200), debounce: .zero, heal: false)
        )
        let task = Task { await loop.loop() }
        await waitUntil { state.snapshot.consecutiveFetchFailures == 1 }
        #expect(state.snapshot.fetchFailingSince != nil)
        #expect(state.snapshot.fetchError == "unreachable")
        await waitUntil { state.snapshot.consecutiveFetchFailures == 2 }
        let next = state.snapshot.nextPollAt ?? Date()
        #expect(next.timeIntervalSinceNow > 0.5, "second failure waits about 4 intervals")
        await waitUntil { engine.calls.withLock { $0.polls.count } >= 3 }
        await waitUntil { state.snapshot.fetchFailingSince == nil }
        #expect(state.snapshot.consecutiveFetchFailures == 0)
        loop.wakeup.close()
        await task.value
    }

    @Test func anOutageBacksOffLikeAFetchFailureAndNotifiesOnceWhenItStartsAndOnceWhenItEnds() async {
        let why = "Docker engine unreachable at unix:///nowhere.sock; nothing was changed"
        let head = "2222222222222222222222222222222222222222"
        let outage = PollOutcome.deployed(head: head, .outage(why), duration: .zero)
        let engine = RecordingEngine(
            outcomes: [outage, outage, outage, .deployed(head: head, .succeeded, duration: .seconds(1))]
        )
        let notes = Collected()
        let (loop, _, state) = makeLoop(
            engine,
            options: DaemonOptions(pollInterval: .milliseconds(200), debounce: .zero, heal: false),
            notifier: notes
        )
        let task = Task { await loop.loop() }
        await waitUntil { state.snapshot.consecutiveOutages == 2 }
        #expect(state.snapshot.outageSince != nil)
        #expect(state.snapshot.outageCause == why)
        #expect(state.snapshot.lastPollResult == "outage")
        let next = state.snapshot.nextPollAt ?? Date()
        #expect(next.timeIntervalSinceNow > 0.5, "the second outage waits about 4 intervals")
        await waitUntil { engine.calls.withLock { $0.polls.count } >= 5 }
        await waitUntil { state.snapshot.outageSince == nil }
        #expect(state.snapshot.consecutiveOutages == 0)
        loop.wakeup.close()
        await task.value
        let kinds = notes.events.withLock { $0.map(\.kind) }
        #expect(kinds == [.outage, .succeeded], "one when it starts, the deploy when it ends: \(kinds)")
        #expect(notes.events.withLock { $0.first?.commit } == head)
    }

    @Test func anOutageEndingWithNothingToDeployIsNotifiedAsRecovered() async {
        let outage = PollOutcome.deployed(head: "2222", .outage("Docker engine unreachable"), duration: .zero)
        let engine = RecordingEngine(outcomes: [outage])
        let notes = Collected()
        let (loop, _, state) = makeLoop(
            engine,
            options: DaemonOptions(pollInterval: .milliseconds(100), debounce: .zero, heal: false),
            notifier: notes
        )
        let task = Task { await loop.loop() }
        await waitUntil { engine.calls.withLock { $0.polls.count } >= 2 && state.snapshot.outageSince == nil }
        loop.wakeup.close()
        await task.value
        #expect(notes.events.withLock { $0.map(\.kind) } == [.outage, .recovered])
    }

    @Test func healsWithinTheBudgetThenReportsExhaustionOnce() async {
        let dead = EngineContainer(
            id: "c1",
            name: "p-app-1",
            project: "p",
            service: "app",
            state: "exited",
            status: "Exited (1) now"
        )
        let engine = RecordingEngine(
            live: [
                LiveUnit(
                    id: "app",
                    project: "p",
                    recordedState: .running,
                    containers: [dead],
                    restartPolicies: ["c1": "always"]
                )
            ]
        )
        let notes = Collected()
        let (loop, _, state) = makeLoop(
            engine,
            options: DaemonOptions(
                pollInterval: .milliseconds(50),
                debounce: .zero,
                healBudget: 2,
                healWindow: .seconds(600)
            ),
            notifier: notes
        )
        let task = Task { await loop.loop() }
        await waitUntil { engine.calls.withLock { $0.polls.count } >= 8 }
        loop.wakeup.close()
        await task.value
        #expect(engine.calls.withLock { $0.heals } == ["app", "app"])
        let kinds = notes.events.withLock { $0.map(\.kind) }
        #expect(kinds.filter { $0 == .healed }.count == 2)
        #expect(kinds.filter { $0 == .healBudgetExhausted }.count == 1)
        #expect(state.snapshot.healBudget["app"]?.exhausted == true)
    }
}

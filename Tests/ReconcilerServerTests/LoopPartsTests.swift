import Foundation
import ReconcilerCore
import Testing

@testable import ReconcilerServer

struct PollScheduleTests {
    @Test func jitterStaysWithinTenPercent() {
        let schedule = PollSchedule(interval: .seconds(60))
        #expect(schedule.delay(consecutiveFailures: 0, random: -1) == .seconds(54))
        #expect(schedule.delay(consecutiveFailures: 0, random: 1) == .seconds(66))
        #expect(schedule.delay(consecutiveFailures: 0, random: 0) == .seconds(60))
        for _ in 0..<200 {
            let d = schedule.nextDelay(consecutiveFailures: 0)
            #expect(d >= .seconds(54) && d <= .seconds(66))
        }
    }

    @Test func backOffDoublesUpToFifteenMinutesAndResets() {
        let schedule = PollSchedule(interval: .seconds(60))
        let delays = (1...8).map { schedule.delay(consecutiveFailures: $0, random: 0) }
        #expect(
            delays == [
                .seconds(120), .seconds(240), .seconds(480), .seconds(900), .seconds(900), .seconds(900), .seconds(900),
                .seconds(900),
            ]
        )
        #expect(schedule.delay(consecutiveFailures: 40, random: 1) == .seconds(900))
        #expect(schedule.delay(consecutiveFailures: 0, random: 0) == .seconds(60))
    }
}

struct FailureLimiterTests {
    @Test func elevenBadSignaturesInAMinuteLockTheAddressOutForAMinute() {
        let clock = ManualClock()
        let limiter = FailureLimiter(limit: 10, window: .seconds(60), clock: clock.read)
        for _ in 0..<10 {
            #expect(!limiter.recordFailure("10.0.0.1"))
            clock.advance(.seconds(1))
        }
        #expect(!limiter.isLocked("10.0.0.1"))
        clock.advance(.seconds(1))
        #expect(limiter.recordFailure("10.0.0.1"))
        clock.advance(.seconds(1))
        #expect(limiter.isLocked("10.0.0.1"))
        #expect(!limiter.isLocked("10.0.0.2"), "other addresses are not affected")
        clock.advance(.seconds(60))
        #expect(!limiter.isLocked("10.0.0.1"))
    }

    @Test func failuresSpreadOverMoreThanAMinuteDoNotLock() {
        let clock = ManualClock()
        let limiter = FailureLimiter(limit: 10, window: .seconds(60), clock: clock.read)
        for _ in 0..<30 {
            #expect(!limiter.recordFailure("10.0.0.1"))
            clock.advance(.seconds(7))
        }
    }
}

struct WakeupTests {
    @Test func requestsDuringWorkCoalesceIntoOne() async {
        let wakeup = Wakeup()
        #expect(wakeup.request(.webhook))
        for _ in 0..<19 { #expect(!wakeup.request(.webhook)) }
        #expect(await wakeup.wait(for: .seconds(5)) == .webhook)
        // Nothing else is pending: the next wait times out.
        let started = ContinuousClock.now
        #expect(await wakeup.wait(for: .milliseconds(100)) == nil)
        #expect(ContinuousClock.now - started >= .milliseconds(90))
    }

    @Test func aRequestWakesAWaitingLoop() async {
        let wakeup = Wakeup()
        async let woke = wakeup.wait(for: .seconds(30))
        try? await Task.sleep(for: .milliseconds(100))
        wakeup.request(.trigger)
        #expect(await woke == .trigger)
    }

    @Test func closeEndsTheWait() async {
        let wakeup = Wakeup()
        async let woke = wakeup.wait(for: .seconds(30))
        try? await Task.sleep(for: .milliseconds(50))
        wakeup.close()
        #expect(await woke == nil)
        #expect(wakeup.isClosed)
    }
}

struct HealTests {
    func container(_ state: String, status: String = "", id: String = "c1") -> EngineContainer {
        EngineContainer(id: id, name: "p-app-1", project: "p", service: "app", state: state, status: status)
    }

    @Test func decidesFromStateAndRestartPolicy() {
        let exited = container("exited", status: "Exited (137) 3 seconds ago")
        #expect(exited.exitCode == 137)
        #expect(HealPolicy.reason(LiveUnit(id: "a", project: "p", recordedState: .running, containers: [])) != nil)
        #expect(
            HealPolicy.reason(
                LiveUnit(
                    id: "a",
                    project: "p",
                    recordedState: .running,
                    containers: [exited],
                    restartPolicies: ["c1": "unless-stopped"]
                )
            ) != nil
        )
        #expect(
            HealPolicy.reason(
                LiveUnit(
                    id: "a",
                    project: "p",
                    recordedState: .running,
                    containers: [exited],
                    restartPolicies: ["c1": "no"]
                )
            ) == nil
        )
        // An operator's stop is never undone.
        #expect(
            HealPolicy.reason(
                LiveUnit(
                    id: "a",
                    project: "p",
                    recordedState: .stopped,
                    containers: [exited],
                    restartPolicies: ["c1": "always"]
                )
            ) == nil
        )
        let oneShot = container("exited", status: "Exited (0) 1 minute ago")
        #expect(
            HealPolicy.reason(
                LiveUnit(
                    id: "a",
                    project: "p",
                    recordedState: .running,
                    containers: [oneShot],
                    restartPolicies: ["c1": "on-failure"]
                )
            ) == nil
        )
        #expect(
            HealPolicy.reason(
                LiveUnit(id: "a", project: "p", recordedState: .running, containers: [container("running")])
            ) == nil
        )
        #expect(
            HealPolicy.reason(
                LiveUnit(
                    id: "a",
                    project: "p",
                    recordedState: .running,
                    containers: [container("restarting")],
                    restartPolicies: ["c1": "always"]
                )
            ) == nil,
            "Docker is already restarting it"
        )
    }

    @Test func budgetAllowsFivePerWindowAndReportsExhaustionOnce() {
        var budget = HealBudget(limit: 5, window: .seconds(1800))
        let start = ContinuousClock.now
        var taken: [Bool] = []
        for i in 0..<5 { taken.append(budget.take("a", now: start + .seconds(i))) }
        #expect(taken == [true, true, true, true, true])
        let sixth = budget.take("a", now: start + .seconds(10))
        #expect(!sixth)
        let other = budget.take("b", now: start + .seconds(10))
        #expect(other, "budgets are per unit")
        let firstReport = budget.shouldReportExhaustion("a")
        let secondReport = budget.shouldReportExhaustion("a")
        #expect(firstReport && !secondReport)
        #expect(budget.isExhausted("a", now: start + .seconds(100)))
        let later = budget.take("a", now: start + .seconds(1801))
        #expect(later, "room again once the first heal left the window")
    }
}

struct WireHTTPClientTests {
    @Test func parsesLengthAndChunkedBodies() throws {
        let plain = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]".utf8)
        let a = try WireHTTPClient.parse(plain, endpoint: "test")
        #expect(a.status == 200 && a.text == "[]" && a.headers["content-type"] == "application/json")
        let chunked = Array(
            "HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n".utf8
        )
        let b = try WireHTTPClient.parse(chunked, endpoint: "test")
        #expect(b.status == 202 && b.text == "Wikipedia")
        #expect(throws: WireHTTPError.self) { try WireHTTPClient.parse(Array("garbage".utf8), endpoint: "test") }
    }

    @Test func dockerHostEndpoints() {
        if case .unix(let path) = DockerEngineAPI.endpoint(nil) {
            #expect(path == "/var/run/docker.sock")
        } else {
            Issue.record("default")
        }
        if case .unix(let path) = DockerEngineAPI.endpoint("unix:///tmp/d.sock") {
            #expect(path == "/tmp/d.sock")
        } else {
            Issue.record("unix")
        }
        if case .tcp(let host, let port) = DockerEngineAPI.endpoint("tcp://127.0.0.1:2375") {
            #expect(host == "127.0.0.1" && port == 2375)
        } else {
            Issue.record("tcp")
        }
    }

    @Test func parsesTheEngineContainerList() throws {
        let json = """
            [{"Id":"abc","Names":["/p-app-1"],"State":"exited","Status":"Exited (1) 2 seconds ago",
              "Labels":{"com.docker.compose.project":"p","com.docker.compose.service":"app"}},
             {"Id":"def","Names":["/q-run-1"],"State":"running","Status":"Up 1 second",
              "Labels":{"com.docker.compose.project":"q","com.docker.compose.oneoff":"True"}}]
            """
        let list = try DockerEngineAPI.parseContainers(Data(json.utf8))
        #expect(list.count == 2)
        #expect(list[0].name == "p-app-1" && list[0].exitCode == 1 && !list[0].oneOff)
        #expect(list[1].oneOff)
    }
}

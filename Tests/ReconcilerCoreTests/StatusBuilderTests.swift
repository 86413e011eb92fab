import Foundation
import Git
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

/// The status report from records and live state, without I/O.
@Suite struct StatusBuilderTests {
    private let at = Date(timeIntervalSince1970: 1_000)

    private func record(_ result: DeploymentResult) -> DeploymentRecord {
        DeploymentRecord(
            id: 7,
            fromCommit: "aaa",
            toCommit: "bbb",
            trigger: .sync,
            startedAt: at,
            endedAt: at,
            result: result,
            message: nil,
            pid: 1,
            plan: "{}",
            steps: []
        )
    }

    private func units() throws -> UnitSet {
        try UnitDiscovery.discover(
            entries: ["services/web/compose.yml", "nixos/configuration.nix"].map { TreeEntry(path: $0, kind: .file) },
            servicesRoot: "services",
            systemRoot: "nixos",
            symlinkTarget: { _ in nil }
        )
    }

    @Test func theStateIsTheWorstOfDegradedDriftedFailedOk() throws {
        var builder = StatusBuilder(repo: "/r")
        builder.units = try units()
        #expect(builder.build().state == .ok)
        builder.records = [UnitRecord(id: "web", commit: "bbb", state: .failed, message: "x", updatedAt: at)]
        #expect(builder.build().state == .failed)
        builder.records = []
        builder.lastFinished = record(.rolledBack)
        #expect(builder.build().state == .failed)
        #expect(builder.build().exitCode == .deployFailed)
        builder.drift = ["docs/README.md"]
        #expect(builder.build().state == .drifted)
        #expect(builder.build().exitCode == .refused)
        builder.degraded = CommitMark(commit: "bbb", reason: "rollback failed", at: at)
        #expect(builder.build().state == .degraded)
        #expect(builder.build().exitCode == .degraded)
    }

    @Test func anOutageIsItsOwnStateNamingTheCauseAndTheWaitingCommitNotAFailure() throws {
        var builder = StatusBuilder(repo: "/r")
        builder.units = try units()
        // The outage's own line in the history, and a unit its mid-deploy rollback left failed.
        builder.lastFinished = record(.outage)
        #expect(builder.build().state == .ok, "an outage line alone is no failure")
        builder.lastFinished = record(.rolledBack)
        builder.records = [UnitRecord(id: "web", commit: "bbb", state: .failed, message: "x", updatedAt: at)]
        builder.outage = CommitMark(commit: "bbb", reason: "Docker engine unreachable at unix:///x.sock", at: at)
        let report = builder.build()
        #expect(report.state == .outage)
        #expect(report.exitCode == .configuration)
        #expect(report.outage?.commit == "bbb")
        #expect(report.outage?.reason == "Docker engine unreachable at unix:///x.sock")
        #expect(report.failedCommit == nil)
        let json = StableJSON.encode(report)
        #expect(json.contains(#""state" : "outage""#) || json.contains(#""state":"outage""#), "\(json)")
        // Degraded and drift still need an operator first.
        builder.drift = ["docs/README.md"]
        #expect(builder.build().state == .drifted)
        builder.degraded = CommitMark(commit: "bbb", reason: "rollback failed", at: at)
        #expect(builder.build().state == .degraded)
        // The outage over (the mark gone): what the records say again.
        builder.drift = []
        builder.degraded = nil
        builder.outage = nil
        #expect(builder.build().state == .failed)
    }

    @Test func unitsAreTheSystemThenServicesWithLiveStateAndRecordsOfGoneUnits() throws {
        var builder = StatusBuilder(repo: "/r")
        builder.units = try units()
        builder.records = [
            UnitRecord(id: "system", commit: "bbb", state: .running, message: nil, updatedAt: at),
            UnitRecord(id: "old/one", commit: "aaa", state: .stopped, message: "stopped by an operator", updatedAt: at),
        ]
        builder.live = ["web": "running(1)"]
        let report = builder.build()
        #expect(report.units.map(\.id) == ["system", "old/one", "web"])
        #expect(report.units.map(\.live) == [nil, "absent", "running(1)"])
        #expect(report.units.map(\.project) == [nil, "old-one", "web"])
        #expect(report.units.map(\.state) == ["running", "stopped", "unknown"])
        #expect(report.units[0].commit == "bbb")

        builder.live = nil
        #expect(builder.build().units.map(\.live) == [nil, nil, nil], "no answer from the engine: live unknown")
    }

    @Test func aRunningDeploymentIsShownInsteadOfTheLastFinishedOne() {
        var builder = StatusBuilder(repo: "/r")
        builder.lastFinished = record(.succeeded)
        var running = record(.running)
        running.id = 8
        builder.running = running
        let report = builder.build()
        #expect(report.lastDeployment?.id == 8)
        #expect(report.lastDeployment?.result == "running")
        #expect(report.lastDeployment?.from == "aaa")
        #expect(report.state == .ok, "the state follows the last finished deployment")
    }
}

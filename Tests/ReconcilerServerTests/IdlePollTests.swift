import Foundation
import Git
import Logging
import ReconcilerCore
import ReconcilerTesting
import Testing

@testable import ReconcilerServer

/// The daemon's engine adapter on a real clone, a real state file and the real Docker engine's API (the rig), with
/// the fake driver for the deploy itself: what a poll that finds nothing new costs.
@Suite(.serialized) struct IdlePollTests {
    @Test func anIdlePollFetchesOnceReadsNoTreeWritesNoRowAndHealAsksTheEngineOnce() async throws {
        try DockerRig.requireEngine()
        let compose = "services:\n  app:\n    image: reconciler-test/busybox:1\n"
        let fixture = try GitFixture.make(files: [
            "reconciler.json": "{}\n",
            "services/web/compose.yml": compose,
            "services/db/compose.yml": compose + "# db\n",
            "services/media/shows/compose.yml": compose + "# shows\n",
        ])
        defer { fixture.remove() }
        let stateDir = fixture.directory.appending("state")
        let repository = try Repository(at: fixture.clone)
        let store = try StateStore(directory: stateDir)
        let driver = FakeDriver()
        let reconciler = Reconciler(
            repository: repository,
            store: store,
            driver: driver,
            logger: Logger(label: "test"),
            reporter: SilentReporter(),
            hostConfigFile: nil
        )
        let docker = DockerEngineAPI.fromEnvironment(DockerRig.environment)
        let engine = ReconcilerEngine(
            reconciler: reconciler,
            stateDirectory: stateDir,
            docker: docker,
            logger: Logger(label: "test")
        )
        try await engine.recover()
        guard case .deployed = await engine.poll(trigger: .poll) else {
            Issue.record("the first poll deploys the remote head")
            return
        }
        // One idle round to settle what is read once per process (the deployed commit's units for the heal check).
        _ = await engine.poll(trigger: .poll)
        let units = try await engine.liveUnits()
        #expect(units.map(\.id) == ["db", "media/shows", "web"])

        let stateFile = "\(stateDir)/\(StateStore.fileName)"
        let fetchHead = "\(try repository.gitDirectory())/FETCH_HEAD"
        // A file's modification time and size ("absent" when there is none).
        func stamp(_ path: String) -> String {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return "absent" }
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(modified) \(attributes[.size] ?? 0)"
        }
        let stateBefore = stamp(stateFile)
        let fetchHeadBefore = stamp(fetchHead)
        let treeReadsBefore = repository.treeReads.load(ordering: .relaxed)
        let driverCallsBefore = driver.calls.count
        let requestsBefore = docker.requests.count

        let rounds = 20
        for _ in 0..<rounds {
            guard case .nothingToDo = await engine.poll(trigger: .poll) else {
                Issue.record("an idle poll found something to do")
                return
            }
            _ = try await engine.liveUnits()
        }

        // No SQLite write: the state file is not touched (a write changes its time; the journal mode rewrites it).
        #expect(stamp(stateFile) == stateBefore)
        #expect(!FileManager.default.fileExists(atPath: stateFile + "-journal"))
        // The fetch stops after the ref list: FETCH_HEAD is not rewritten.
        #expect(stamp(fetchHead) == fetchHeadBefore)
        // No tree is read: the deployed commit's units are known, nothing new was fetched.
        #expect(repository.treeReads.load(ordering: .relaxed) == treeReadsBefore)
        // Nothing through the driver (the only part that starts processes).
        #expect(driver.calls.count == driverCallsBefore)
        // The heal check is one request to the engine per round (all containers: none of these is down).
        #expect(docker.requests.count - requestsBefore == rounds)
    }
}

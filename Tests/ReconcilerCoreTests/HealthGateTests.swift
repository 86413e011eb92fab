import Testing

@testable import ReconcilerCore

@Suite struct HealthGateTests {
    func c(_ state: String, _ health: String = "", exit: Int = 0, name: String = "x-app-1") -> ComposeContainer {
        ComposeContainer(name: name, service: "app", state: state, health: health, exitCode: exit)
    }

    @Test func undecidedWhileStartingOrWithoutContainers() {
        #expect(HealthGate.judge([]) == nil)
        #expect(HealthGate.judge([c("running", "starting")]) == nil)
        #expect(HealthGate.judge([c("restarting")]) == nil)
        #expect(HealthGate.judge([c("created")]) == nil)
    }

    @Test func passesRunningHealthyAndCompletedOneShots() {
        #expect(HealthGate.judge([c("running")]) == .passed("1 running"))
        #expect(
            HealthGate.judge([c("running", "healthy"), c("exited", exit: 0, name: "x-migrate-1")])
                == .passed("1 running (1 healthy), 1 completed")
        )
    }

    @Test func failsAtOnceOnUnhealthyDeadOrNonZeroExit() {
        #expect(HealthGate.judge([c("running", "unhealthy")]) == .failed("container x-app-1 is unhealthy"))
        #expect(HealthGate.judge([c("dead")]) == .failed("container x-app-1 is dead"))
        #expect(
            HealthGate.judge([c("running", "healthy"), c("exited", exit: 3, name: "x-job-1")])
                == .failed("container x-job-1 exited with code 3")
        )
    }

    @Test func pendingNamesWhatIsNotReady() {
        #expect(
            HealthGate.pending([c("running", "starting"), c("running", "healthy", name: "ok-1")])
                == "x-app-1 running/starting"
        )
    }

    @Test func parsesBothComposePsFormats() throws {
        let lines = """
            {"Name":"p-app-1","Service":"app","State":"running","Health":"healthy","ExitCode":0}
            {"Name":"p-job-1","Service":"job","State":"exited","Health":"","ExitCode":0}
            """
        let array = "[{\"Name\":\"p-app-1\",\"Service\":\"app\",\"State\":\"running\",\"Health\":\"\",\"ExitCode\":0}]"
        #expect(try Compose.parseContainers(lines).map(\.name) == ["p-app-1", "p-job-1"])
        #expect(try Compose.parseContainers(array).first?.state == "running")
        #expect(try Compose.parseContainers("\n").isEmpty)
    }
}

@Suite struct EnvFileTests {
    @Test func keysIgnoreCommentsExportAndValues() {
        let text = "# comment\nexport A=1\nB = two words\n\nC=\nnot a pair\n"
        #expect(EnvFile.keys(in: text) == ["A", "B", "C"])
    }
}

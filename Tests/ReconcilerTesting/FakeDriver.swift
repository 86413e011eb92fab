import Foundation
import ReconcilerCore
import Synchronization

/// A recording fake of the engine's ``Driver``: no Docker, no system commands. It remembers every call, keeps a
/// pretend engine (which units run, and the Compose file each was brought up with), and can be told to fail a step,
/// report a unit's containers unhealthy, or hang in a step until the task running it is cancelled.
///
/// ```swift
/// let driver = FakeDriver()
/// driver.fail(.up, "web")                 // web's next `up` exits 1
/// driver.unhealthy("app", when: "v2")     // app's container reports unhealthy while it runs a file with "v2"
/// driver.hang(.up, "db")                  // db's `up` never returns
/// … run the engine …
/// #expect(driver.calls(.up) == ["db", "app"])
/// #expect(driver.runningFile("web")?.contains("version: 1") == true)
/// ```
package final class FakeDriver: Driver {
    /// What the engine asked.
    package enum Operation: String, Sendable, Hashable {
        case validate, up, down, containers, projects, logs, check, `switch`, network, pull, prune
        /// The NixOS system step's phases: `system.build`, `switch-to-configuration`, `nix-env --set`, a confirm check.
        case build, activate, profile, confirm
    }

    /// One recorded call: the operation, the unit (`system` for check and switch), and where it ran.
    package struct Call: Sendable, Equatable {
        package let operation: Operation
        package let unit: String
        package let directory: String?
        /// The deployment marker the call carried (`RECONCILER_DEPLOYMENT`), if any.
        package let marker: String?
    }

    private struct Trigger: Hashable {
        let operation: Operation
        let unit: String
    }

    private struct State {
        var calls: [Call] = []
        /// How many more times each (operation, unit) fails, and with what output.
        var failures: [Trigger: (times: Int, output: String)] = [:]
        /// Calls that hang, by (operation, unit) and the occurrence (1 = the next call) at which to hang.
        var hangs: [Trigger: Int] = [:]
        var seen: [Trigger: Int] = [:]
        /// Units whose containers report unhealthy, with the text their Compose file must hold for it (nil: always).
        var unhealthy: [String: String?] = [:]
        /// Units brought up and still up, with the content of the Compose file they were brought up with.
        var running: [String: String] = [:]
        var hung: [Call] = []
        /// Networks that exist (created by `ensureNetworks`, or said to exist).
        var networks: Set<String> = []
        /// Images a pull makes newer, by unit.
        var newerImages: [String: [String]] = [:]
        /// Why the engine is "unreachable" (nil: it is reachable).
        var outage: String?
        /// The argument vector of each `switch`, in order.
        var switchCommands: [[String]] = []
    }

    private let state = Mutex(State())

    package init() {}

    // MARK: Telling it what to do

    /// The engine is unreachable (`why`) until called again with nil: ``outage(_:)`` says so.
    package func setOutage(_ why: String?) { state.withLock { $0.outage = why } }

    /// The next `times` calls of `operation` on `unit` fail (exit 1, printing `output`).
    package func fail(_ operation: Operation, _ unit: String, times: Int = .max, output: String = "told to fail") {
        state.withLock { $0.failures[Trigger(operation: operation, unit: unit)] = (times, output) }
    }

    /// Stops failing `operation` on `unit`.
    package func succeed(_ operation: Operation, _ unit: String) {
        _ = state.withLock { $0.failures.removeValue(forKey: Trigger(operation: operation, unit: unit)) }
    }

    /// `unit`'s containers report `unhealthy` once it is up (until ``healthy(_:)``); with `when`, only while the
    /// Compose file it was brought up with contains that text (a broken version, while the one rolled back to is
    /// well).
    package func unhealthy(_ unit: String, when text: String? = nil) {
        state.withLock { $0.unhealthy[unit] = .some(text) }
    }
    package func healthy(_ unit: String) { _ = state.withLock { $0.unhealthy.removeValue(forKey: unit) } }

    /// The `occurrence`-th call (counting from now) of `operation` on `unit` never returns: it waits until its task
    /// is cancelled, as a killed reconciler's step would never finish.
    package func hang(_ operation: Operation, _ unit: String, occurrence: Int = 1) {
        state.withLock {
            let trigger = Trigger(operation: operation, unit: unit)
            $0.hangs[trigger] = ($0.seen[trigger] ?? 0) + occurrence
        }
    }

    /// Pretends `unit` runs (brought up outside this test's engine), with `file` as its Compose file.
    package func setRunning(_ unit: String, file: String = "") { state.withLock { $0.running[unit] = file } }
    /// Pretends `unit`'s containers are gone (`docker rm -f`, a crash).
    package func setStopped(_ unit: String) { _ = state.withLock { $0.running.removeValue(forKey: unit) } }

    // MARK: Reading what happened

    /// Every call, in order.
    package var calls: [Call] { state.withLock { $0.calls } }

    /// The units `operation` was called on, in order.
    package func calls(_ operation: Operation) -> [String] {
        calls.filter { $0.operation == operation }.map(\.unit)
    }

    /// The acting calls (up, down, switch) as `"up web"`, in order: what a test compares a run against.
    package var actions: [String] {
        calls.filter { [.up, .down, .switch].contains($0.operation) }.map { "\($0.operation.rawValue) \($0.unit)" }
    }

    /// Forgets the recorded calls (not the pretend engine's state).
    package func resetCalls() { state.withLock { $0.calls = [] } }

    /// Units that run now.
    package var runningUnits: Set<String> { Set(state.withLock { $0.running.keys }) }

    /// The Compose file content `unit` was last brought up with, nil when it does not run.
    package func runningFile(_ unit: String) -> String? { state.withLock { $0.running[unit] } }

    /// Waits until a call hangs (as told by ``hang(_:_:occurrence:)``) and returns it.
    package func waitForHang(timeout: Duration = .seconds(120)) async throws -> Call {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let call = state.withLock({ $0.hung.first }) { return call }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw FakeDriverError(message: "no call hung within \(timeout)")
    }

    // MARK: Driver

    package func validate(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        try await perform(.validate, unit.id, directory, context)
    }

    package func up(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> DriverResult {
        let result = try await perform(.up, unit.id, directory, context)
        if result.succeeded {
            let file = (try? String(contentsOfFile: "\(directory)/\(unit.composeFile)", encoding: .utf8)) ?? ""
            state.withLock { $0.running[unit.id] = file }
        }
        return result
    }

    package func down(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        let result = try await perform(.down, unit.id, directory, context)
        if result.succeeded { setStopped(unit.id) }
        return result
    }

    package func containers(
        _ unit: ServiceUnit,
        in directory: String?,
        _ context: DriverContext
    ) async throws
        -> [ComposeContainer]
    {
        let (running, unhealthy) = state.withLock {
            $0.calls.append(Call(operation: .containers, unit: unit.id, directory: directory, marker: nil))
            guard let file = $0.running[unit.id] else { return (false, false) }
            guard let condition = $0.unhealthy[unit.id] else { return (true, false) }
            return (true, condition.map { file.contains($0) } ?? true)
        }
        guard running else { return [] }
        return [
            ComposeContainer(
                name: "\(unit.projectName)-app-1",
                service: "app",
                state: "running",
                health: unhealthy ? "unhealthy" : "healthy",
                exitCode: 0
            )
        ]
    }

    /// The networks that exist now.
    package var networks: Set<String> { state.withLock { $0.networks } }

    /// The next pull of `unit` finds these images newer.
    package func publish(_ images: [String], for unit: String) { state.withLock { $0.newerImages[unit] = images } }

    package func ensureNetworks(_ networks: [String: NetworkSettings], _ context: DriverContext) async -> NetworkOutcome
    {
        var outcome = NetworkOutcome()
        for name in networks.keys.sorted() where !state.withLock({ $0.networks.contains(name) }) {
            let result = try? await perform(.network, name, "/", context)
            guard let result, result.succeeded else {
                outcome.failure = "network \(name) (declared in reconciler.json) could not be created: told to fail"
                return outcome
            }
            state.withLock { _ = $0.networks.insert(name) }
            outcome.created.append(name)
        }
        return outcome
    }

    package func pull(_ unit: ServiceUnit, in directory: String, _ context: DriverContext) async throws -> PullOutcome {
        let result = try await perform(.pull, unit.id, directory, context)
        let newer = result.succeeded ? state.withLock { $0.newerImages.removeValue(forKey: unit.id) ?? [] } : []
        return PullOutcome(result: result, newer: newer)
    }

    package func prune(_ context: DriverContext) async throws -> DriverResult {
        try await perform(.prune, "", "/", context)
    }

    package func outage(_ context: DriverContext) async -> String? { state.withLock { $0.outage } }

    package func projects(_ context: DriverContext) async -> [String: String]? {
        state.withLock {
            $0.calls.append(Call(operation: .projects, unit: "", directory: nil, marker: nil))
            return Dictionary(
                uniqueKeysWithValues: $0.running.keys.map { (composeProjectName(forUnitID: $0), "running(1)") }
            )
        }
    }

    package func logs(
        _ unit: ServiceUnit,
        in directory: String,
        follow: Bool,
        tail: Int?,
        _ context: DriverContext
    ) async -> Invocation {
        state.withLock { $0.calls.append(Call(operation: .logs, unit: unit.id, directory: directory, marker: nil)) }
        return Invocation(argv: ["fake-logs", unit.projectName] + (follow ? ["--follow"] : []), directory: directory)
    }

    package func check(
        _ command: [String],
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        try await perform(.check, UnitID.system, directory, context)
    }

    package func `switch`(
        _ command: [String],
        in directory: String,
        _ context: DriverContext
    ) async throws
        -> DriverResult
    {
        state.withLock { $0.switchCommands.append(command) }
        return try await perform(.switch, UnitID.system, directory, context)
    }

    package func build(_ command: [String], in directory: String, _ context: DriverContext) async throws -> DriverResult
    {
        try await perform(.build, UnitID.system, directory, context)
    }

    package func activate(
        _ generation: String,
        _ mode: ActivationMode,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await perform(.activate, UnitID.system, "\(generation) \(mode.rawValue)", context)
    }

    package func setProfile(
        _ profile: String,
        to generation: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await perform(.profile, UnitID.system, "\(profile) \(generation)", context)
    }

    package func confirm(
        _ command: [String],
        in directory: String,
        timeout: Duration,
        _ context: DriverContext
    ) async throws -> DriverResult {
        try await perform(.confirm, UnitID.system, directory, context)
    }

    /// The argument vector of each `switch` so far, in order.
    package var switchCommands: [[String]] { state.withLock { $0.switchCommands } }

    private func perform(
        _ operation: Operation,
        _ unit: String,
        _ directory: String,
        _ context: DriverContext
    ) async throws -> DriverResult {
        let call = Call(
            operation: operation,
            unit: unit,
            directory: directory,
            marker: context.environment[Leftovers.variable]
        )
        let trigger = Trigger(operation: operation, unit: unit)
        let (hangs, failure): (Bool, String?) = state.withLock {
            $0.calls.append(call)
            let seen = ($0.seen[trigger] ?? 0) + 1
            $0.seen[trigger] = seen
            if $0.hangs[trigger] == seen {
                $0.hangs[trigger] = nil
                $0.hung.append(call)
                return (true, nil)
            }
            guard let (times, output) = $0.failures[trigger], times > 0 else { return (false, nil) }
            $0.failures[trigger] = times == 1 ? nil : (times == .max ? times : times - 1, output)
            return (false, output)
        }
        if hangs {
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        context.onLine?("fake \(operation.rawValue) \(unit)")
        if let failure {
            context.onLine?(failure)
            return DriverResult(status: 1, outputTail: "fake \(operation.rawValue) \(unit)\n\(failure)")
        }
        return DriverResult(status: 0, outputTail: "fake \(operation.rawValue) \(unit)")
    }
}

package struct FakeDriverError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

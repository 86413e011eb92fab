import Foundation
import Git

/// The system step. On NixOS, in phases: **build** (`system.build`, which leaves `./result`), **test** (the result's
/// `switch-to-configuration test`: active now, not the boot default), **confirm** (``SystemConfirm`` within
/// `system.confirmTimeout`), and only then **boot** (`nix-env --profile … --set`, `switch-to-configuration boot`).
/// A failure before boot activates the generation that was current before the step (no evaluation, no build, no
/// network) and confirms it again. A repository that sets `system.switch` alone gets that one command, followed by the
/// remote and Docker checks.
struct SystemStep: Sendable {
    /// How the step ended.
    enum Outcome: Sendable {
        /// The new system is active (and, on NixOS, the boot default). `rebootNeeded` names what only a reboot
        /// brings (`kernel`, `initrd`, `systemd`).
        case done(rebootNeeded: [String])
        /// It failed; the one-command step leaves the system to the rollback, as before.
        case failed(String)
        /// It failed, and the generation current before the step is active and confirmed again.
        case fellBack(String)
        /// It failed, and the generation current before the step did not confirm either.
        case notRestored(String)
    }

    let engine: Engine
    let config: Config
    let context: DriverContext
    /// The units a plan changes: the confirm does not expect them as they were.
    let changing: Set<String>
    /// The units of the commit (those running and healthy before, and not changing, are checked again).
    let units: UnitSet

    private var system: SystemConfig { config.system }
    private var workdir: String { engine.repository.workdir }

    private func say(_ text: String) { engine.reporter.report(.info("system: \(text)")) }

    func run() async -> Outcome {
        guard system.phased else { return await runOneCommand() }
        let watched = units.units.values.filter { !changing.contains($0.id) }.sorted { $0.id < $1.id }
        let healthy = await SystemConfirm.healthyUnits(watched, engine: engine, context: context)
        let baseline = await SystemConfirm.baseline(engine: engine, config: config, context: context)
        guard let previous = NixGenerations.current(system.profile) else {
            return .failed(
                "system.profile \(system.profile) names no generation (<profile> -> <profile>-N-link): nothing was "
                    + "built or activated; set system.profile to the system profile, or set system.switch alone for the "
                    + "one-command step"
            )
        }
        let confirm = SystemConfirm(
            engine: engine,
            config: config,
            context: context,
            units: healthy,
            operatorChecks: true,
            baseline: baseline
        )
        say("build: \(system.buildCommand.joined(separator: " "))")
        let built = await phase("build") { try await engine.driver.build(system.buildCommand, in: workdir, context) }
        if let why = built { return await fallBack(to: previous, confirm: confirm, after: why) }
        let result: String
        do {
            result = try NixGenerations.takeResult(in: workdir, build: system.buildCommand)
        } catch {
            return await fallBack(to: previous, confirm: confirm, after: "build: \(error)")
        }
        say("test: \(result)/bin/switch-to-configuration test (generation \(previous.number) stays the boot default)")
        if let why = await phase("test", { try await engine.driver.activate(result, .test, context) }) {
            return await fallBack(to: previous, confirm: confirm, after: why)
        }
        say(
            "confirm: remote, Docker, \(healthy.count) healthy unit(s), \(system.confirm.count) check(s), within \(ConfigDuration.format(system.confirmTimeout))"
        )
        if let why = await confirm.run(timeout: system.confirmTimeout) {
            return await fallBack(to: previous, confirm: confirm, after: "confirm: \(why)")
        }
        say("boot: nix-env --profile \(system.profile) --set \(result); switch-to-configuration boot")
        if let why = await phase("boot", { try await engine.driver.setProfile(system.profile, to: result, context) }) {
            return await fallBack(to: previous, confirm: confirm, after: why)
        }
        if let why = await phase("boot", { try await engine.driver.activate(result, .boot, context) }) {
            // The profile moved already: it goes back with the generation.
            _ = await phase("restore profile") {
                try await engine.driver.setProfile(system.profile, to: previous.path, context)
            }
            return await fallBack(to: previous, confirm: confirm, after: why)
        }
        // Against what was booted when NixOS says (a kernel changed two switches ago still needs its reboot), else
        // against the generation before.
        let booted = NixGenerations.bootedSystem.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        let reboot = NixGenerations.rebootNeeded(from: booted ?? previous.path, to: result)
        if !reboot.isEmpty {
            engine.reporter.report(
                .warning(
                    "Reboot needed for \(reboot.joined(separator: ", ")): the reconciler never reboots; reboot when convenient"
                )
            )
        }
        return .done(rebootNeeded: reboot)
    }

    /// Runs one driver call of a phase: nil when it exited 0, else what failed.
    private func phase(_ name: String, _ call: () async throws -> DriverResult) async -> String? {
        do {
            let result = try await call()
            if result.succeeded { return nil }
            return "\(name) exited \(result.status): \(result.outputTail.lastLines(4))"
        } catch {
            return "\(name): \(error)"
        }
    }

    /// Activates `previous` again (`switch-to-configuration switch` of its `-N-link`) and confirms it.
    private func fallBack(to previous: NixGeneration, confirm: SystemConfirm, after failure: String) async -> Outcome {
        engine.reporter.report(
            .warning("system: \(failure)\nsystem: falling back to generation \(previous.number) (\(previous.link))")
        )
        if let why = await phase(
            "fallback switch",
            { try await engine.driver.activate(previous.link, .switch, context) }
        ) {
            return .notRestored("\(failure); falling back to generation \(previous.number) failed: \(why)")
        }
        if let why = await confirm.run(timeout: system.confirmTimeout) {
            return .notRestored(
                "\(failure); generation \(previous.number), activated again, does not confirm either: \(why)"
            )
        }
        return .fellBack("\(failure); generation \(previous.number) is active again and confirmed")
    }

    /// `system.switch` alone (a non-NixOS host), then the remote and Docker checks.
    private func runOneCommand() async -> Outcome {
        let baseline = await SystemConfirm.baseline(engine: engine, config: config, context: context)
        if let why = await phase(
            "system switch",
            { try await engine.driver.switch(system.switch, in: workdir, context) }
        ) {
            return .failed(why)
        }
        let confirm = SystemConfirm(
            engine: engine,
            config: config,
            context: context,
            units: [],
            operatorChecks: false,
            baseline: baseline
        )
        if let why = await confirm.run(timeout: system.confirmTimeout) { return .failed("confirm: \(why)") }
        return .done(rebootNeeded: [])
    }
}

import Foundation
import Git

/// One check of a target commit that did not pass.
package struct ValidationFailure: Sendable, Equatable, Codable {
    /// A unit id, `system`, or `reconciler.json`.
    package let unit: String
    /// `config` (compose config), `env` (.env lacks keys), `check` (system.check), `configuration`.
    package let check: String
    package let message: String

    package init(unit: String, check: String, message: String) {
        self.unit = unit
        self.check = check
        self.message = message
    }
}

extension Reconciler {
    /// Step 1 of the contract, for the units a plan brings up and the system: run against a scratch copy of the
    /// target commit's files (with the work tree's `.env` files), so nothing in the work tree changes.
    package func validate(plan: Plan, target: DeployTarget, deployment: Int64?) async throws -> [ValidationFailure] {
        let units = plan.units.compactMap { target.units.units[$0] }
        let check = plan.system ? target.config.system.check : nil
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        var directories = units.map(\.directory)
        if check != nil { directories.append(target.config.system.root) }
        try TreeMaterializer(repository: repository).materialize(
            commit: target.commit.id, directories: directories, into: scratch.path, entries: target.entries)
        return await runChecks(
            units: units, filesRoot: scratch.path, config: target.config, systemCheckRoot: check.map { _ in scratch.path },
            deployment: deployment)
    }

    /// Every check for the given units, with their files under `filesRoot` and their `.env` in the work tree.
    package func runChecks(
        units: [ServiceUnit], filesRoot: String, config: Config, systemCheckRoot: String?, deployment: Int64?
    ) async -> [ValidationFailure] {
        var failures: [ValidationFailure] = []
        let compose = compose(config)
        for unit in units {
            let started = ContinuousClock.now
            let step = deployment.flatMap { try? store.beginStep(deployment: $0, phase: .validate, unit: unit.id, action: "config") }
            var failure: ValidationFailure?
            var tail = ""
            if let missing = EnvFile.missingKeys(
                exampleDirectory: "\(filesRoot)/\(unit.directory)", envDirectory: absolute(unit.directory)),
                !missing.isEmpty
            {
                failure = ValidationFailure(
                    unit: unit.id, check: "env",
                    message:
                        "\(unit.directory)/.env lacks \(missing.count == 1 ? "key" : "keys") named in .env.example: \(missing.joined(separator: ", ")) — add \(missing.count == 1 ? "it" : "them") to \(absolute(unit.directory))/.env"
                )
            } else {
                do {
                    let result = try await compose.validate(unit, in: "\(filesRoot)/\(unit.directory)")
                    tail = result.outputTail
                    if !result.succeeded {
                        failure = ValidationFailure(
                            unit: unit.id, check: "config",
                            message: "\(unit.directory)/\(unit.composeFile) is not valid: \(result.outputTail.lastLines(6))")
                    }
                } catch {
                    failure = ValidationFailure(unit: unit.id, check: "config", message: "\(error)")
                }
            }
            if let failure { failures.append(failure) }
            if let step {
                try? store.finishStep(
                    step, result: failure == nil ? .succeeded : .failed, exitCode: nil, message: failure?.message,
                    logTail: tail)
            }
            reporter.report(
                .stepFinished(
                    phase: .validate, unit: unit.id, action: "config", ok: failure == nil, message: failure?.message ?? "valid",
                    duration: ContinuousClock.now - started))
        }
        if let systemCheckRoot, let check = config.system.check {
            let started = ContinuousClock.now
            let step = deployment.flatMap { try? store.beginStep(deployment: $0, phase: .validate, unit: "system", action: "check") }
            var failure: ValidationFailure?
            var tail = ""
            var status: Int32?
            do {
                let result = try await runner.run(
                    check, in: systemCheckRoot, timeout: .seconds(3600),
                    onLine: { [reporter] line in reporter.report(.output(unit: "system", line: line)) })
                tail = result.outputTail
                status = result.status
                if !result.succeeded {
                    failure = ValidationFailure(
                        unit: "system", check: "check",
                        message: "system.check `\(check.joined(separator: " "))` exited \(result.status): \(result.outputTail.lastLines(6))")
                }
            } catch {
                failure = ValidationFailure(unit: "system", check: "check", message: "\(error)")
            }
            if let failure { failures.append(failure) }
            if let step {
                try? store.finishStep(
                    step, result: failure == nil ? .succeeded : .failed, exitCode: status, message: failure?.message,
                    logTail: tail)
            }
            reporter.report(
                .stepFinished(
                    phase: .validate, unit: "system", action: "check", ok: failure == nil,
                    message: failure?.message ?? "passed", duration: ContinuousClock.now - started))
        }
        return failures
    }
}

/// A private scratch directory for one operation.
package struct ScratchDirectory: Sendable {
    package let path: String

    package init() throws {
        path = "\(FileManager.default.temporaryDirectory.path)/reconciler-\(UUID().uuidString.prefix(12).lowercased())"
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

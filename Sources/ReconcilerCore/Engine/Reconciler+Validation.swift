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
            commit: target.commit.id,
            directories: directories,
            into: scratch.path,
            entries: target.entries
        )
        return await runChecks(
            units: units,
            filesRoot: scratch.path,
            config: target.config,
            systemCheckRoot: check.map { _ in scratch.path },
            deployment: deployment
        )
    }

    /// Every check for the given units, with their files under `filesRoot` and their `.env` in the work tree.
    package func runChecks(
        units: [ServiceUnit],
        filesRoot: String,
        config: Config,
        systemCheckRoot: String?,
        deployment: Int64?
    ) async -> [ValidationFailure] {
        var failures: [ValidationFailure] = []
        let compose = compose(config)
        for unit in units {
            let failure = await recordCheck(unit.id, action: "config", deployment: deployment, passed: "valid") {
                if let missing = EnvFile.missingKeys(
                    exampleDirectory: "\(filesRoot)/\(unit.directory)",
                    envDirectory: absolute(unit.directory)
                ),
                    !missing.isEmpty
                {
                    let one = missing.count == 1
                    return CheckOutcome(
                        failure: "\(unit.directory)/.env lacks \(one ? "key" : "keys") named in .env.example: "
                            + "\(missing.joined(separator: ", ")) — add \(one ? "it" : "them") to \(absolute(unit.directory))/.env",
                        check: "env"
                    )
                }
                let result = try await compose.validate(unit, in: "\(filesRoot)/\(unit.directory)")
                return CheckOutcome(
                    failure: result.succeeded
                        ? nil
                        : "\(unit.directory)/\(unit.composeFile) is not valid: \(result.outputTail.lastLines(6))",
                    check: "config",
                    tail: result.outputTail,
                    status: result.status
                )
            }
            if let failure { failures.append(failure) }
        }
        if let systemCheckRoot, let check = config.system.check {
            let failure = await recordCheck("system", action: "check", deployment: deployment, passed: "passed") {
                let result = try await runner.run(
                    check,
                    in: systemCheckRoot,
                    timeout: .seconds(3600),
                    onLine: { [reporter] line in reporter.report(.output(unit: "system", line: line)) }
                )
                return CheckOutcome(
                    failure: result.succeeded
                        ? nil
                        : "system.check `\(check.joined(separator: " "))` exited \(result.status): \(result.outputTail.lastLines(6))",
                    check: "check",
                    tail: result.outputTail,
                    status: result.status
                )
            }
            if let failure { failures.append(failure) }
        }
        return failures
    }

    /// Runs one check, records it as a validate step of `deployment` (if any) and reports it.
    private func recordCheck(
        _ unit: String,
        action: String,
        deployment: Int64?,
        passed: String,
        _ body: () async throws -> CheckOutcome
    ) async -> ValidationFailure? {
        let started = ContinuousClock.now
        let step = deployment.flatMap {
            try? store.beginStep(deployment: $0, phase: .validate, unit: unit, action: action)
        }
        let outcome: CheckOutcome
        do {
            outcome = try await body()
        } catch {
            outcome = CheckOutcome(failure: "\(error)", check: action)
        }
        let failure = outcome.failure.map { ValidationFailure(unit: unit, check: outcome.check, message: $0) }
        if let step {
            try? store.finishStep(
                step,
                result: failure == nil ? .succeeded : .failed,
                exitCode: outcome.status,
                message: outcome.failure,
                logTail: outcome.tail
            )
        }
        reporter.report(
            .stepFinished(
                phase: .validate,
                unit: unit,
                action: action,
                ok: failure == nil,
                message: outcome.failure ?? passed,
                duration: ContinuousClock.now - started
            )
        )
        return failure
    }
}

private struct CheckOutcome {
    var failure: String?
    var check: String
    var tail = ""
    var status: Int32?
}

/// A private scratch directory for one operation.
package struct ScratchDirectory: Sendable {
    package let path: String

    package init() throws {
        path = "\(FileManager.default.temporaryDirectory.path)/reconciler-\(UUID().uuidString.prefix(12).lowercased())"
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    }

    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

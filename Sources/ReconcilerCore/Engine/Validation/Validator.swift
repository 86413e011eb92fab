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

/// Step 1 of the contract: every check before anything is touched (the `.env` keys and `compose config` of each unit
/// a plan brings up, and `system.check`), each recorded as a validate step.
struct Validator: Sendable {
    let engine: Engine

    /// Runs the checks for `plan` against a scratch copy of the target commit's files (with the work tree's `.env`
    /// files), so nothing in the work tree changes.
    func validate(plan: Plan, target: DeployTarget, deployment: Int64?) async throws -> [ValidationFailure] {
        let units = plan.units.compactMap { target.units.units[$0] }
        let check = plan.system ? target.config.system.check : nil
        let scratch = try engine.scratch()
        defer { scratch.remove() }
        // Validation sees what Compose will see: the whole services root (and the system root), with the work
        // tree's `.env` files, so `extends: ../base.yml` and `env_file: ../common.env` resolve as after checkout.
        let servicesRoot = target.config.services.root
        var directories = units.isEmpty ? [] : [servicesRoot]
        if check != nil { directories.append(target.config.system.root) }
        // A service directory the target has exactly as the work tree has it (the same subtree id as HEAD's) is a
        // link to the work tree's, not a copy: the same files, `.env` and all, and a one-service change in a root of
        // thousands writes one directory instead of thousands of files. (The work tree holds HEAD's tracked files:
        // drift is refused before any deploy. The system root is never inside the services root: configuration
        // refuses overlapping roots.)
        let linked = units.isEmpty ? [] : try unchangedServiceDirectories(servicesRoot, target: target.commit.id)
        let linkedPrefix = servicesRoot.isEmpty ? "" : servicesRoot + "/"
        let materializer = TreeMaterializer(repository: engine.repository)
        try materializer.materialize(
            commit: target.commit.id,
            directories: directories,
            into: scratch.path,
            entries: try target.listing.entries().filter { entry in
                guard !linked.isEmpty, entry.path.hasPrefix(linkedPrefix) else { return true }
                let child = entry.path.dropFirst(linkedPrefix.count).prefix { $0 != "/" }
                return !linked.contains(String(child))
            }
        )
        for name in linked.sorted() {
            let from = "\(scratch.path)/\(linkedPrefix)\(name)"
            guard symlink(engine.absolute("\(linkedPrefix)\(name)"), from) == 0 else {
                throw ScratchWriteError(path: from, errno: errno)
            }
        }
        for directory in directories {
            materializer.copyEnvFilesRecursively(from: engine.absolute(directory), to: "\(scratch.path)/\(directory)")
        }
        return await runChecks(
            units: units,
            filesRoot: scratch.path,
            config: target.config,
            systemCheckRoot: check.map { _ in scratch.path },
            deployment: deployment
        )
    }

    /// The directories directly under `root` whose subtree is the same in `target` and in the work tree's HEAD, and
    /// that are real directories in the work tree (not links).
    private func unchangedServiceDirectories(_ root: String, target: ObjectID) throws -> Set<String> {
        let repository = engine.repository
        guard let head = try repository.head()?.id,
            let old = try repository.children(of: root, at: head),
            let new = try repository.children(of: root, at: target)
        else { return [] }
        let oldTrees = Dictionary(
            old.filter(\.isTree).map { ($0.name, $0.id) },
            uniquingKeysWith: { first, _ in first }
        )
        return Set(
            new.filter { child in
                guard child.isTree, oldTrees[child.name] == child.id else { return false }
                return TreeMaterializer.isRealDirectory(
                    engine.absolute(root.isEmpty ? child.name : "\(root)/\(child.name)")
                )
            }.map(\.name)
        )
    }

    /// Every check for the given units, with their files under `filesRoot` and their `.env` in the work tree.
    func runChecks(
        units: [ServiceUnit],
        filesRoot: String,
        config: Config,
        systemCheckRoot: String?,
        deployment: Int64?
    ) async -> [ValidationFailure] {
        let driver = engine.driver
        let context = engine.context(config)
        // Each unit's check is its own `compose config` process: they run side by side, as many at once as the
        // services' `parallelism` lets `up` run, and their failures are listed in the plan's order.
        let checkUnit: @Sendable (ServiceUnit) async -> ValidationFailure? = { unit in
            await recordCheck(unit.id, action: .config, deployment: deployment, passed: "valid") {
                let envDirectory = engine.absolute(unit.directory)
                let sealed = sealedKeys(unit, in: "\(filesRoot)/\(unit.directory)", context)
                if case .failure(let error) = sealed { return CheckOutcome(failure: error.message, check: "sops") }
                // No .env at all is one problem with one fix, not a list of keys (and `compose config` would only
                // repeat it).
                if FileManager.default.fileExists(atPath: "\(filesRoot)/\(unit.directory)/.env.example"),
                    !FileManager.default.fileExists(
                        atPath: "\(filesRoot)/\(unit.directory)/\(SopsEnvironment.fileName)"
                    ),
                    (try? FileManager.default.attributesOfItem(atPath: "\(envDirectory)/.env")) == nil
                {
                    return CheckOutcome(
                        failure: "no .env: run `reconciler secrets init \(unit.id)` (it copies .env.example to "
                            + "\(unit.directory)/.env, mode 600), then replace its placeholder values",
                        check: "env"
                    )
                }
                if let missing = EnvFile.missingKeys(
                    exampleDirectory: "\(filesRoot)/\(unit.directory)",
                    envDirectory: envDirectory,
                    also: (try? sealed.get()) ?? []
                ),
                    !missing.isEmpty
                {
                    let one = missing.count == 1
                    return CheckOutcome(
                        failure: "\(unit.directory)/.env lacks \(one ? "key" : "keys") named in .env.example: "
                            + "\(missing.joined(separator: ", ")) — add \(one ? "it" : "them") to \(envDirectory)/.env",
                        check: "env"
                    )
                }
                let result = try await driver.validate(unit, in: "\(filesRoot)/\(unit.directory)", context)
                return CheckOutcome(
                    failure: result.succeeded
                        ? nil
                        : "\(unit.directory)/\(unit.composeFile) is not valid: \(result.outputTail.lastLines(6))",
                    check: "config",
                    tail: result.outputTail,
                    status: result.status
                )
            }
        }
        var failures = await boundedMap(units, width: config.services.parallelism, checkUnit).compactMap { $0 }
        if let systemCheckRoot, let check = config.system.check {
            let checkContext = engine.context(config, unit: UnitID.system)
            let failure = await recordCheck(UnitID.system, action: .check, deployment: deployment, passed: "passed") {
                let result = try await driver.check(check, in: systemCheckRoot, checkContext)
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
        action: StepAction,
        deployment: Int64?,
        passed: String,
        _ body: () async throws -> CheckOutcome
    ) async -> ValidationFailure? {
        let started = ContinuousClock.now
        var outcome: CheckOutcome
        var step: Int64?
        do {
            step = try deployment.map { try engine.ledger.beginStep($0, phase: .validate, unit: unit, action: action) }
            outcome = try await body()
        } catch {
            outcome = CheckOutcome(failure: "\(error)", check: action.rawValue)
        }
        if let step {
            do {
                try engine.ledger.finishStep(
                    step,
                    failure: outcome.failure,
                    exitCode: outcome.status,
                    logTail: outcome.tail
                )
            } catch {
                // State first: a check whose outcome cannot be recorded does not pass.
                outcome.failure = outcome.failure ?? "cannot record the check in the state: \(error)"
            }
        }
        let failure = outcome.failure.map { ValidationFailure(unit: unit, check: outcome.check, message: $0) }
        engine.reporter.report(
            .stepFinished(
                phase: .validate,
                unit: unit,
                action: action.rawValue,
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

import ArgumentParser
import Foundation
import Git
import Logging
import ReconcilerCore

/// Opens what a command needs: the repository, the state, and (for commands that change things) the lock.
struct Session {
    let reconciler: Reconciler
    let lock: ReconcilerLocks?

    static func open(
        _ options: GlobalOptions,
        command: String,
        locking: Bool,
        reporter: (any ProgressReporter)? = nil
    )
        throws -> Session
    {
        let logger = makeLogger(options)
        let repository = try openRepository(options)
        let hostConfigFile = options.hostConfigFile
        var stateDir = options.stateDir ?? ProcessInfo.processInfo.environment["RECONCILER_STATE_DIR"]
        if stateDir == nil {
            // stateDir is host-only: a commit never decides where the state lives.
            stateDir = try Reconciler.hostConfig(hostConfigFile).stateDir
        }
        let directory = URL(fileURLWithPath: stateDir!).standardizedFileURL.path
        let store: StateStore
        do {
            // 0700/0600 even when the directory and files existed before, and again for what opening created.
            try StatePermissions.secure(directory)
            store = try StateStore(directory: directory)
            try StatePermissions.secure(directory)
        } catch {
            throw ReconcilerError(
                .configuration,
                "cannot open the state in \(directory): \(error)\nPass --state-dir DIR (a writable directory) or set RECONCILER_STATE_DIR."
            )
        }
        var lock: ReconcilerLocks?
        if locking {
            do {
                // One reconciler per repository: the state directory's lock and the git directory's. A running
                // daemon holds them only for a moment per poll: wait that out.
                lock = try ReconcilerLocks.acquire(
                    stateDirectory: directory,
                    gitDirectory: repository.gitDirectory(),
                    command: "reconciler \(command)",
                    patience: .seconds(15)
                )
            } catch {
                throw ReconcilerError(.locked, "\(error)")
            }
        }
        // Every value this run could print, store or send is known before anything runs.
        let runConfig = (try? Reconciler.workTreeConfig(workdir: repository.workdir, hostConfigFile: hostConfigFile))
        let masker = SecretMasker.forRun(
            config: runConfig ?? Config(),
            workTree: repository.workdir,
            remoteURL: (try? repository.resolvedRemoteURL(runConfig?.remote ?? Config().remote)) ?? nil,
            into: .shared
        )
        SopsEnvironment(settings: (runConfig ?? Config()).sops, scratchRoot: "").maskValues(under: repository.workdir)
        let reconciler = Reconciler(
            repository: repository,
            store: store,
            runner: ProcessRunner(logger: logger, masker: masker),
            logger: logger,
            reporter: reporter ?? ConsoleReporter(verbose: options.verbose),
            hostConfigFile: hostConfigFile,
            host: options.hostName
        )
        return Session(reconciler: reconciler, lock: lock)
    }

    /// A front on the repository alone, its state in memory: for a plan from git objects (`plan --from --to` in a
    /// forge's CI), which reads and writes no state directory and runs nothing.
    static func openWithoutState(_ options: GlobalOptions, host: String) throws -> Reconciler {
        let logger = makeLogger(options)
        let repository = try openRepository(options)
        return Reconciler(
            repository: repository,
            store: try StateStore(inMemory: ()),
            runner: ProcessRunner(logger: logger),
            logger: logger,
            reporter: SilentReporter(),
            hostConfigFile: options.hostConfigFile,
            host: host
        )
    }

    private static func makeLogger(_ options: GlobalOptions) -> Logger {
        var logger = Logger(label: "reconciler")
        logger.logLevel = options.verbose ? .debug : .warning
        return logger
    }

    private static func openRepository(_ options: GlobalOptions) throws -> Repository {
        do {
            return try Repository(at: options.repoPath)
        } catch {
            throw ReconcilerError(
                .configuration,
                "cannot open the deploy repository at \(options.repoPath): \(error)\nPass --repo DIR or set RECONCILER_REPO to a clone of your homelab repository."
            )
        }
    }
}

/// Ends a command with the contract's exit code, printing the error for a person.
func fail(_ error: any Error) -> ExitCode {
    if let error = error as? ReconcilerError {
        Console.error(error.message)
        return ExitCode(error.exitCode.rawValue)
    }
    if let error = error as? ConfigError {
        Console.error("\(error)")
        return ExitCode(1)
    }
    if let error = error as? UnitError {
        Console.error("\(error)")
        return ExitCode(1)
    }
    Console.error("\(error)")
    return ExitCode(1)
}

/// Runs a command body, turning errors into the contract's exit codes.
func runCommand(_ body: () async throws -> Int32) async throws {
    let code: Int32
    do {
        code = try await body()
    } catch let error as ExitCode {
        throw error
    } catch {
        throw fail(error)
    }
    if code != 0 { throw ExitCode(code) }
}

/// Prints an outcome the way every deploying command does and returns its exit code.
func finish(_ outcome: DeployOutcome) -> Int32 {
    switch outcome {
    case .succeeded:
        Console.line("Done.")
    case .nothingToDo(let why):
        Console.line(why)
    case .invalid(let why):
        Console.error(why)
    case .outage(let why):
        Console.error("\(why)\nThe commit is not marked failed: the next sync deploys it once the cause is fixed.")
    case .rolledBack(let why):
        Console.error("Deploy failed and was rolled back: \(why)")
    case .failed(let why):
        Console.error("Deploy failed: \(why)")
    case .degraded(let why):
        Console.error(
            "DEGRADED: \(why)\nNo automatic deploys until an operator acts: fix the cause, then `reconciler resume`."
        )
    }
    return outcome.exitCode.rawValue
}

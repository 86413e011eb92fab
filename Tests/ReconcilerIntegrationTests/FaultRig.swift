import Foundation
import ReconcilerTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The fault-matrix tests' means of stopping the reconciler at a known point without timing guesses.

/// A `services.compose` stand-in (set in the host file) that runs the real `docker compose`, logs every call as
/// `<verb> <project>` to `calls`, and can hold one call: armed for a verb and project, it writes
/// `held-<verb>-<project>` and waits on the fifo `release-<verb>-<project>` until the test opens it, then goes on
/// with the real command. Held before `config` it stops validation, before `up` an apply or a rollback step.
struct ComposeHold {
    let control: String
    let wrapper: String

    /// Writes the wrapper and points the host file's `services.compose` at it (with `hostSettings` merged in).
    init(_ homelab: Homelab, hostSettings: String = "") throws {
        control = homelab.dir.appending("compose-control")
        wrapper = homelab.dir.appending("compose-wrapper.sh")
        try FileManager.default.createDirectory(atPath: control, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        # docker compose, logged, and held once where the test armed it (FaultRig.swift).
        ctl='\(control)'
        project=; verb=; prev=
        for a in "$@"; do
            if [ "$prev" = --project-name ]; then project=$a
            elif [ -z "$verb" ] && [ "$prev" != --file ]; then case $a in -*) ;; *) verb=$a ;; esac
            fi
            prev=$a
        done
        echo "$verb $project" >> "$ctl/calls"
        arm="$ctl/arm-$verb-$project"
        if [ -f "$arm" ]; then
            n=$(cat "$arm")
            if [ "$n" -gt 1 ]; then
                echo $((n - 1)) > "$arm"
            else
                rm -f "$arm"
                mkfifo "$ctl/release-$verb-$project"
                echo $$ > "$ctl/held-$verb-$project"
                timeout 900 cat "$ctl/release-$verb-$project" > /dev/null
            fi
        fi
        exec docker compose "$@"

        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)
        try HostFile.write(
            homelab,
            "{ \"services\": { \"compose\": [\"\(wrapper)\"]\(hostSettings.isEmpty ? "" : ", \(hostSettings)") } }"
        )
    }

    /// Holds the `call`-th `<verb>` of `project` from now (1: the next one).
    func arm(_ verb: String, _ project: String, call: Int = 1) throws {
        try "\(call)\n".write(toFile: "\(control)/arm-\(verb)-\(project)", atomically: true, encoding: .utf8)
    }

    /// Waits until the armed call is being held.
    func waitHeld(_ verb: String, _ project: String) throws {
        try waitUntil("`compose \(verb)` of \(project) is held") {
            FileManager.default.fileExists(atPath: "\(control)/held-\(verb)-\(project)")
        }
    }

    /// Lets the held call go on with the real `docker compose`.
    func release(_ verb: String, _ project: String) throws {
        let fifo = "\(control)/release-\(verb)-\(project)"
        try waitUntil("the held `compose \(verb)` of \(project) reads its fifo") {
            // Non-blocking: ENXIO until the wrapper has the fifo open for reading.
            let fd = open(fifo, O_WRONLY | O_NONBLOCK)
            guard fd >= 0 else { return false }
            _ = write(fd, "go\n", 3)
            close(fd)
            return true
        }
    }

    /// Lets every held call go on (for a `defer`: a test that fails half-way leaves no wrapper waiting).
    func releaseAll() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: control)) ?? []
        for name in names where name.hasPrefix("release-") {
            let fd = open("\(control)/\(name)", O_WRONLY | O_NONBLOCK)
            if fd >= 0 {
                _ = write(fd, "go\n", 3)
                close(fd)
            }
        }
    }

    /// Every call so far, as `<verb> <project>`.
    func calls() -> [String] {
        ((try? String(contentsOfFile: "\(control)/calls", encoding: .utf8)) ?? "").split(separator: "\n")
            .map(String.init)
    }

    /// Whether the health gate is polling `project`: a `ps` of it after an `up` of it, among the calls after the
    /// first `skipping` (those of earlier runs).
    func gatePolling(_ project: String, skipping: Int) -> Bool {
        let calls = Array(calls().dropFirst(skipping))
        guard let up = calls.lastIndex(of: "up \(project)") else { return false }
        return calls[(up + 1)...].contains("ps \(project)")
    }
}

/// The host-side configuration file the test binary points `RECONCILER_HOST_CONFIG` at.
enum HostFile {
    static func path(_ homelab: Homelab) -> String { homelab.dir.appending("host-config.json") }

    static func write(_ homelab: Homelab, _ json: String) throws {
        try json.write(toFile: path(homelab), atomically: true, encoding: .utf8)
    }

    static func remove(_ homelab: Homelab) {
        try? FileManager.default.removeItem(atPath: path(homelab))
    }
}

/// A `reconciler` run in the background, to be stopped at a fault point and killed with SIGKILL.
final class Victim {
    let process: SpawnedProcess
    private let log: String

    init(_ args: [String], _ homelab: Homelab, environment: [String: String] = [:]) throws {
        log = homelab.dir.appending("victim-\(UUID().uuidString.prefix(6)).log")
        process = try SpawnedProcess(
            [ReconcilerBinary.path] + args + ["--repo", homelab.deploy, "--state-dir", homelab.stateDir],
            environment: DockerRig.environment
                .merging(["RECONCILER_HOST_CONFIG": HostFile.path(homelab)]) { _, b in b }
                .merging(environment) { _, b in b },
            stdout: log,
            stderr: log
        )
    }

    /// A test that fails before it kills the run leaves nothing running.
    deinit {
        if process.isRunning { killHard() }
    }

    /// What it printed so far.
    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Waits until the process has stopped itself (`SIGSTOP`, state `T` in /proc).
    func waitStopped() throws {
        try waitUntil("pid \(process.pid) stops itself; it printed:\n\(output)") {
            guard process.isRunning,
                let stat = try? String(contentsOfFile: "/proc/\(process.pid)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("T")
        }
    }

    /// SIGKILL, as `kill -9` or the OOM killer would, and reaps it.
    func killHard() {
        process.kill(SIGKILL)
        _ = process.wait()
    }

    /// Waits for it to end on its own and returns its exit status.
    func exitStatus() throws -> Int32 {
        try waitUntil("pid \(process.pid) ends", timeout: .seconds(600)) { !process.isRunning }
        return process.wait()
    }
}

struct WaitTimeout: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` until it holds; throws naming `what` when `timeout` passes first. Generous by default: the
/// machine is loaded, and the test only waits for something it knows will happen.
func waitUntil(
    _ what: @autoclosure () -> String,
    timeout: Duration = .seconds(300),
    _ condition: () throws -> Bool
)
    throws
{
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() { return }
        guard ContinuousClock.now < deadline else { throw WaitTimeout(description: "timed out waiting: \(what())") }
        usleep(100_000)
    }
}

/// What an operator keeps in the work tree and git ignores: a `.env` and a `data/` directory. A fault must never
/// lose them.
struct Keepsakes {
    static let ignores = [".gitignore": ".env\n*.env\n!*.env.example\ndata/\n"]

    let files: [String: String]
    let root: String

    /// Plants them in `unit`'s directory of the deploy clone.
    init(_ lab: Lab, unit: String) throws {
        root = lab.homelab.deploy
        files = [
            "services/\(unit)/.env": "KEEPSAKE_TOKEN=kept-\(lab.homelab.tag)-value\n",
            "services/\(unit)/data/state.db": "rows the service wrote \(lab.homelab.tag)\n",
        ]
        for (path, content) in files { try GitFixture.write(content, to: path, in: root) }
    }

    func expectKept(sourceLocation: SourceLocation = #_sourceLocation) {
        for (path, content) in files {
            let now = try? String(contentsOfFile: "\(root)/\(path)", encoding: .utf8)
            #expect(now == content, "\(path) was lost or changed", sourceLocation: sourceLocation)
        }
    }
}

/// The deployed commit, the state store and the containers tell the same truth: the work tree is at `commit` with
/// no tracked file changed, `status --json` says `commit` is deployed with `state` and every unit running, no
/// deployment is left `running`, and each project's container runs the version its unit's files in the work tree
/// (and its recorded commit) carry, brought up from the work tree.
func expectConsistent(
    _ lab: Lab,
    deployed commit: String,
    versions: [String: String],
    state: String = "ok",
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let deploy = lab.homelab.deploy
    #expect(try lab.homelab.git(["rev-parse", "HEAD"], in: deploy) == commit, sourceLocation: sourceLocation)
    let changed = try lab.homelab.git(["status", "--porcelain", "--untracked-files=no"], in: deploy)
    #expect(
        changed.isEmpty,
        "tracked files differ from the deployed commit: \(changed)",
        sourceLocation: sourceLocation
    )

    let status = try lab.run("status", "--json")
    let report = try decodeJSON(status.stdout)
    #expect(report["state"] as? String == state, "\(status.stdout)", sourceLocation: sourceLocation)
    #expect(
        (report["deployed"] as? [String: Any])?["commit"] as? String == commit,
        "\(status.stdout)",
        sourceLocation: sourceLocation
    )
    #expect(report["degraded"] == nil, "\(status.stdout)", sourceLocation: sourceLocation)
    let history = try decodeJSONArray(try lab.run("history", "--json").stdout)
    #expect(!history.contains { $0["result"] as? String == "running" }, sourceLocation: sourceLocation)

    let units = Dictionary(
        (report["units"] as? [[String: Any]] ?? []).compactMap { row in (row["id"] as? String).map { ($0, row) } },
        uniquingKeysWith: { a, _ in a }
    )
    for (unit, version) in versions.sorted(by: { $0.key < $1.key }) {
        let label = "homelab.version: \"\(version)\""
        let file = "services/\(unit)/compose.yml"
        let onDisk = (try? String(contentsOfFile: "\(deploy)/\(file)", encoding: .utf8)) ?? ""
        #expect(
            onDisk.contains(label),
            "\(file) in the work tree is not version \(version)",
            sourceLocation: sourceLocation
        )
        #expect(try Containers.version(unit) == version, "\(unit)'s container", sourceLocation: sourceLocation)
        let row = units[unit]
        #expect(row?["state"] as? String == "running", "\(unit): \(row ?? [:])", sourceLocation: sourceLocation)
        #expect(
            (row?["live"] as? String)?.hasPrefix("running") == true,
            "\(unit): \(row ?? [:])",
            sourceLocation: sourceLocation
        )
        if let recorded = row?["commit"] as? String {
            let then = try lab.homelab.git(["show", "\(recorded):\(file)"])
            #expect(
                then.contains(label),
                "\(unit) is recorded at \(recorded), not version \(version)",
                sourceLocation: sourceLocation
            )
        } else {
            Issue.record("\(unit) has no recorded commit: \(row ?? [:])", sourceLocation: sourceLocation)
        }
        let id = try #require(try Containers.running(unit).first, sourceLocation: sourceLocation)
        let workingDir = try Command.check(
            [
                "docker", "inspect", "--format", "{{index .Config.Labels \"com.docker.compose.project.working_dir\"}}",
                id,
            ],
            environment: DockerRig.environment
        ).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(
            workingDir == "\(deploy)/services/\(unit)",
            "\(unit) was brought up elsewhere",
            sourceLocation: sourceLocation
        )
    }
}

/// The results of `history --json`, newest first.
func historyResults(_ lab: Lab) throws -> [String] {
    try decodeJSONArray(try lab.run("history", "--json").stdout).map { $0["result"] as? String ?? "" }
}

import Foundation
import ReconcilerTesting
import Testing

/// What a test reads off the Docker engine about one Compose project.
enum Containers {
    /// Running container ids of a project, sorted.
    static func running(_ project: String) throws -> [String] {
        try Command.check(
            ["docker", "ps", "--quiet", "--no-trunc", "--filter", "label=com.docker.compose.project=\(project)"],
            environment: DockerRig.environment
        ).split(separator: "\n").map(String.init).sorted()
    }

    /// The `homelab.version` label of the project's running container (which commit's files it runs).
    static func version(_ project: String) throws -> String? {
        guard let id = try running(project).first else { return nil }
        return try Command.check(
            ["docker", "inspect", "--format", "{{index .Config.Labels \"homelab.version\"}}", id],
            environment: DockerRig.environment
        ).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Decodes `--json` output of the reconciler.
func decodeJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any], "not a JSON object: \(text)")
}

func decodeJSONArray(_ text: String) throws -> [[String: Any]] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [[String: Any]], "not a JSON array: \(text)")
}

/// Steps of the newest deployment in `history --json`, as (phase, unit, action, result).
func lastDeploymentSteps(_ homelab: Homelab) throws -> [(phase: String, unit: String, action: String, result: String)] {
    let history = try ReconcilerBinary.run(["history", "--json", "--limit", "1"], homelab: homelab)
    let entries = try decodeJSONArray(history.stdout)
    let steps = (entries.first?["steps"] as? [[String: Any]]) ?? []
    return steps.map {
        (
            $0["phase"] as? String ?? "", $0["unit"] as? String ?? "", $0["action"] as? String ?? "",
            $0["result"] as? String ?? ""
        )
    }
}

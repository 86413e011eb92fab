/// The Docker Compose project name of a unit: its id with `/` turned into `-`, then normalised the way
/// Compose normalises a directory name (compose-go `NormalizeProjectName`): lower-cased, every character
/// outside `a-z0-9_-` dropped, leading `_` and `-` trimmed.
///
/// `sonarr/shows` → `sonarr-shows`, `AI` → `ai`, `my.app` → `myapp`. The result may be empty (`日本`, `__`):
/// discovery reports that as an error rather than running Compose with a name it would reject.
/// - Parameters:
///   - id: A unit id, the unit's path under `services.root`.
package func composeProjectName(forUnitID id: String) -> String {
    let lowered = id.replacingSlashes().lowercased()
    let kept = lowered.unicodeScalars.filter { scalar in
        switch scalar {
        case "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }
    let trimmed = kept.drop { $0 == "_" || $0 == "-" }
    return String(String.UnicodeScalarView(trimmed))
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "-" : $0 })
    }
}

import Foundation
import Git

/// The `.env` files of a work tree: creating them from `.env.example`, and checking what the seed asks of them
/// (present, complete, mode 600, never tracked). Reports name files and keys, never values.
package enum SecretsAudit {
    /// What `secrets init` did for one unit.
    package enum InitResult: Sendable, Equatable {
        /// `.env` was created from `.env.example`, mode 0600.
        case created
        /// `.env` exists already and was left alone.
        case exists
        /// The unit has no `.env.example`: nothing to copy.
        case noExample
        /// The unit's secrets come from its committed `.env.sops`: no `.env` is needed.
        case sealed
    }

    /// Copies `<directory>/.env.example` to `<directory>/.env` with mode 0600, unless `.env` exists.
    /// - Parameters:
    ///   - directory: The unit's directory on disk.
    package static func initEnv(in directory: String) throws -> InitResult {
        let fileManager = FileManager.default
        let example = "\(directory)/.env.example"
        let env = "\(directory)/.env"
        // lstat, not stat: a dangling symlink named .env is still "there" and must not be written through.
        if (try? fileManager.attributesOfItem(atPath: env)) != nil { return .exists }
        if fileManager.fileExists(atPath: "\(directory)/\(SopsEnvironment.fileName)") { return .sealed }
        guard let contents = fileManager.contents(atPath: example) else { return .noExample }
        // Created with 0600 from the start (O_EXCL), so the secrets-to-be are never readable by others.
        let fd = open(env, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { return .exists }
            throw SecretsError(path: env, message: "cannot create it: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: contents)
            _ = fchmod(fd, 0o600)
        } catch {
            throw SecretsError(path: env, message: "cannot write it: \(error)")
        }
        return .created
    }

    /// Every problem with the `.env` files of `units`, per unit: an `.env` readable by group or others, and any `.env`
    /// the git index tracks. (A missing `.env` and keys of `.env.example` that `.env` lacks are the deploy
    /// validation's own checks, which `validate` runs too.)
    /// - Parameters:
    ///   - units: The units of the work tree.
    ///   - workdir: The work tree's root.
    ///   - trackedEnvFiles: Paths of files named `.env` that git tracks (committed or staged).
    package static func audit(
        units: [ServiceUnit],
        workdir: String,
        trackedEnvFiles: [String]
    ) -> [ValidationFailure] {
        var failures: [ValidationFailure] = []
        let fileManager = FileManager.default
        for unit in units.sorted(by: { $0.id < $1.id }) {
            let directory = "\(workdir)/\(unit.directory)"
            let envPath = "\(unit.directory)/.env"
            // A missing `.env` is the deploy validation's to report (once, with `secrets init`), which `validate`
            // runs too.
            if let attributes = try? fileManager.attributesOfItem(atPath: "\(directory)/.env"),
                let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0
            {
                failures.append(
                    ValidationFailure(
                        unit: unit.id,
                        check: "secrets",
                        message: "\(envPath) is readable by \(mode & 0o070 != 0 ? "its group" : "others")"
                            + "\(mode & 0o070 != 0 && mode & 0o007 != 0 ? " and others" : "") "
                            + "(mode \(String(mode & 0o777, radix: 8))): run `chmod 600 \(directory)/.env`"
                    )
                )
            }
        }
        for path in trackedEnvFiles.sorted() {
            let owner = units.filter { path.hasPrefix($0.directory + "/") }.max {
                $0.directory.count < $1.directory.count
            }
            failures.append(
                ValidationFailure(
                    unit: owner?.id ?? path,
                    check: "secrets",
                    message:
                        "\(path) is tracked by git: secrets must never be committed. Run `git rm --cached \(path)`, "
                        + "commit, and change every secret it held (they are in the history)"
                )
            )
        }
        return failures
    }
}

extension SecretsAudit {
    /// Whether a key's name says it holds a secret: it contains `PASSWORD`, `TOKEN`, `SECRET` or `API_KEY`, or ends
    /// in `_KEY` (any case).
    package static func looksSecret(_ key: String) -> Bool {
        let name = key.uppercased()
        return ["PASSWORD", "TOKEN", "SECRET", "API_KEY"].contains { name.contains($0) } || name.hasSuffix("_KEY")
    }

    /// Keys whose name looks secret (``looksSecret(_:)``) and whose `.env` value is still the one `.env.example`
    /// gives them, per unit: warnings that name the unit, the file and the key, never the value. Units without both
    /// files are skipped (a missing `.env` is reported elsewhere).
    /// - Parameters:
    ///   - units: The units of the work tree.
    ///   - workdir: The work tree's root.
    package static func placeholderWarnings(units: [ServiceUnit], workdir: String) -> [ValidationFailure] {
        var warnings: [ValidationFailure] = []
        for unit in units.sorted(by: { $0.id < $1.id }) {
            let directory = "\(workdir)/\(unit.directory)"
            guard let example = secretValues(atPath: "\(directory)/.env.example"),
                let env = secretValues(atPath: "\(directory)/.env")
            else { continue }
            let unchanged = example.keys.filter { env[$0] == example[$0] }.sorted()
            guard !unchanged.isEmpty else { continue }
            let one = unchanged.count == 1
            warnings.append(
                ValidationFailure(
                    unit: unit.id,
                    check: "placeholder",
                    message: "\(unit.directory)/.env still has the .env.example placeholder for "
                        + "\(unchanged.joined(separator: ", ")): set \(one ? "a real value" : "real values") in "
                        + "\(directory)/.env"
                )
            )
        }
        return warnings
    }

    /// The values of the keys that look secret in a dotenv file, quotes removed; nil when it cannot be read. Only
    /// compared, never printed.
    private static func secretValues(atPath path: String) -> [String: Substring]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        var values: [String: Substring] = [:]
        for rawLine in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            var line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).drop { $0 == " " } }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard looksSecret(key) else { continue }
            var value = line[line.index(after: eq)...]
            while let last = value.last, last == " " || last == "\t" || last == "\r" { value = value.dropLast() }
            value = value.drop { $0 == " " || $0 == "\t" }
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()
            }
            values[key] = value
        }
        return values
    }
}

/// An `.env` file that could not be created.
package struct SecretsError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let message: String
    package var description: String { "\(path): \(message)" }
}

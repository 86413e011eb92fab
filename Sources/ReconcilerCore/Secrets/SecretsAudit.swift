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

    /// Every problem with the `.env` files of `units`, per unit: a missing `.env` beside a `.env.example`, an `.env`
    /// readable by group or others, and any `.env` the git index tracks. (Keys of `.env.example` that `.env` lacks are
    /// the deploy validation's own check, which `validate` runs too.)
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
            let hasExample = FileManager.default.fileExists(atPath: "\(directory)/.env.example")
            let attributes = try? fileManager.attributesOfItem(atPath: "\(directory)/.env")
            if attributes == nil {
                if hasExample, !fileManager.fileExists(atPath: "\(directory)/\(SopsEnvironment.fileName)") {
                    failures.append(
                        ValidationFailure(
                            unit: unit.id,
                            check: "secrets",
                            message: "\(envPath) is missing: create it with `reconciler secrets init \(unit.id)` "
                                + "and fill in the values"
                        )
                    )
                }
            } else {
                if let mode = (attributes?[.posixPermissions] as? NSNumber)?.uint16Value, mode & 0o077 != 0 {
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

/// An `.env` file that could not be created.
package struct SecretsError: Error, Sendable, CustomStringConvertible {
    package let path: String
    package let message: String
    package var description: String { "\(path): \(message)" }
}

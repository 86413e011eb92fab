import Foundation

/// The host's side of `.env.sops`: its age identities (``SopsSettings/ageKeyFile``, else `SOPS_AGE_KEY_FILE`) and
/// where decrypted values may be written for Compose (the state directory's private scratch, never the work tree).
package struct SopsEnvironment: Sendable, Equatable {
    /// The file name beside a unit's Compose file.
    package static let fileName = ".env.sops"
    package static let keyFileVariable = "SOPS_AGE_KEY_FILE"

    /// The identity file in force, nil when neither the host file nor the environment names one.
    package let ageKeyFile: String?
    /// Where decrypted env files are written (0700 directories, 0600 files), removed after each command.
    package let scratchRoot: String

    package init(
        settings: SopsSettings,
        scratchRoot: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        ageKeyFile = settings.ageKeyFile ?? environment[Self.keyFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        self.scratchRoot = scratchRoot
    }

    /// The configured identities; empty when none is configured.
    /// - Throws: ``SopsError`` when the file cannot be read, is readable by its group or others, or holds no identity.
    package func identities() throws(SopsError) -> [AgeIdentity] {
        guard let path = ageKeyFile else { return [] }
        var info = stat()
        guard stat(path, &info) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw SopsError(
                .noIdentity,
                "cannot read the age key file \(path) (sops.ageKeyFile); check the path and its owner"
            )
        }
        if info.st_mode & 0o077 != 0 {
            throw SopsError(
                .noIdentity,
                "the age key file \(path) is readable by \(info.st_mode & 0o070 != 0 ? "its group" : "others"); "
                    + "run chmod 600 \(path)"
            )
        }
        return try AgeIdentity.parseKeyFile(String(decoding: data, as: UTF8.self), source: path)
    }

    /// The decrypted `.env.sops` of the unit whose files are in `directory`, nil when it has none. Every value is
    /// registered for masking before it is returned.
    /// - Throws: ``SopsError`` (parse, identity, GCM, MAC); the message names no value.
    package func secrets(inDirectory directory: String) throws(SopsError) -> SopsSecrets? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/\(Self.fileName)") else { return nil }
        let secrets = try SopsDecryptor.decrypt(String(decoding: data, as: UTF8.self), identities: identities())
        SecretMasker.shared.addEnvFile(secrets.envFileText)
        return secrets
    }

    /// Registers for masking the values of every `.env.sops` under `workTree` that the host's identity opens, so a
    /// command that decrypts nothing (`logs`, `status`) still masks them. Files that do not open are skipped.
    package func maskValues(under workTree: String) {
        guard let identities = try? identities(), !identities.isEmpty else { return }
        for path in EnvFileScan.files(under: workTree, named: { $0 == Self.fileName }) {
            guard let data = FileManager.default.contents(atPath: path),
                let secrets = try? SopsDecryptor.decrypt(String(decoding: data, as: UTF8.self), identities: identities)
            else { continue }
            SecretMasker.shared.addEnvFile(secrets.envFileText)
        }
    }

    /// Compose's `--env-file` arguments for a unit whose files are in `directory`, with the decrypted values in a
    /// private scratch file: the decrypted file first, then the unit's own `.env` (it wins key by key; Compose reads
    /// no `.env` by itself once `--env-file` is given). Nil when the unit has no `.env.sops`.
    package func envFiles(forDirectory directory: String) throws(SopsError) -> SopsEnvFiles? {
        guard let secrets = try secrets(inDirectory: directory) else { return nil }
        let scratch: ScratchDirectory
        do {
            scratch = try ScratchDirectory(under: scratchRoot)
            try TreeMaterializer.writeScratch(
                Data(secrets.envFileText.utf8),
                to: "\(scratch.path)/sops.env",
                mode: 0o600
            )
        } catch {
            throw SopsError(.malformed, "cannot write the decrypted values to the scratch directory: \(error)")
        }
        var arguments = ["--env-file", "\(scratch.path)/sops.env"]
        let own = "\(directory)/.env"
        if FileManager.default.fileExists(atPath: own) { arguments += ["--env-file", own] }
        return SopsEnvFiles(arguments: arguments, scratch: scratch)
    }
}

/// The `--env-file` arguments of one Compose command and the scratch holding the plaintext; ``remove()`` after it.
package struct SopsEnvFiles: Sendable {
    package let arguments: [String]
    let scratch: ScratchDirectory

    package func remove() { scratch.remove() }
}

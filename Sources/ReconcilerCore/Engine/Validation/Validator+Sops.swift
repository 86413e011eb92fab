extension Validator {
    /// The keys of the unit's decrypted `.env.sops` (none when it has no such file), or why it does not open:
    /// `services/app/.env.sops: MAC mismatch …`, never a value. Decrypting here checks the file, the identity and the
    /// MAC before anything is touched.
    /// - Parameters:
    ///   - directory: The unit's files in the scratch copy of the target commit.
    func sealedKeys(
        _ unit: ServiceUnit,
        in directory: String,
        _ context: DriverContext
    ) -> Result<Set<String>, SopsError> {
        guard let sops = context.sops else { return .success([]) }
        do {
            return .success(Set(try sops.secrets(inDirectory: directory)?.keys ?? []))
        } catch {
            return .failure(SopsError(error.code, "\(unit.directory)/\(SopsEnvironment.fileName): \(error.message)"))
        }
    }
}

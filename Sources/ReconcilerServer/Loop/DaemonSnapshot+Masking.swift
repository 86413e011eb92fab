import ReconcilerCore

extension DaemonSnapshot: FreeTextMaskable {
    /// The last poll's message, the fetch error and the outage's cause masked; unit ids (the heal budget's keys),
    /// times and counts as they are.
    package func masked(by masker: SecretMasker) -> DaemonSnapshot {
        var snapshot = self
        snapshot.lastPollMessage = masker.mask(lastPollMessage)
        snapshot.fetchError = masker.mask(fetchError)
        snapshot.outageCause = masker.mask(outageCause)
        return snapshot
    }
}

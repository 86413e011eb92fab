import Foundation

/// A value the reconciler renders itself (a report, a plan, a deployment record) whose free-text fields may carry
/// text from outside: tool output, error messages, commit summaries.
///
/// Documents are masked field by field, never whole: the structured fields the reconciler writes (unit ids, project
/// names, paths, commit ids, JSON keys, states) come out as they are, so a `.env` value that happens to equal a unit
/// id (`DB_USER=immich`) cannot turn the unit `immich` into `***` in `status --json` or `/status`. Render a masked
/// copy (``masked(by:)``), then write it without masking it again.
package protocol FreeTextMaskable {
    /// A copy with every free-text field masked by `masker` and every structured field unchanged.
    func masked(by masker: SecretMasker) -> Self
}

extension SecretMasker {
    /// `text` masked, nil kept.
    package func mask(_ text: String?) -> String? {
        text.map { mask($0) }
    }
}

extension CommitRef: FreeTextMaskable {
    /// The summary is a commit message's first line: free text, masked. The commit id is not.
    package func masked(by masker: SecretMasker) -> CommitRef {
        CommitRef(commit: commit, summary: masker.mask(summary))
    }
}

extension Plan: FreeTextMaskable {
    /// The commits' summaries masked; units, paths, waves and reasons as they are.
    package func masked(by masker: SecretMasker) -> Plan {
        var plan = self
        plan.from = from?.masked(by: masker)
        plan.to = to.masked(by: masker)
        return plan
    }
}

extension StatusReport: FreeTextMaskable {
    /// Messages, reasons and summaries masked; the repository path, unit ids, states, commits and drifted paths as
    /// they are.
    package func masked(by masker: SecretMasker) -> StatusReport {
        var report = self
        report.deployed = deployed?.masked(by: masker)
        report.remote = remote?.masked(by: masker)
        report.lastDeployment?.message = masker.mask(lastDeployment?.message)
        for index in report.units.indices {
            report.units[index].message = masker.mask(units[index].message)
        }
        report.degraded?.reason = masker.mask(degraded?.reason ?? "")
        report.hold?.reason = masker.mask(hold?.reason ?? "")
        report.failedCommit?.reason = masker.mask(failedCommit?.reason ?? "")
        report.outage?.reason = masker.mask(outage?.reason ?? "")
        return report
    }
}

extension DeploymentRecord: FreeTextMaskable {
    /// The deployment's and its steps' messages and log tails masked (the ledger masked them when it wrote them;
    /// this catches a secret added since); ids, units, commits and results as they are.
    package func masked(by masker: SecretMasker) -> DeploymentRecord {
        var record = self
        record.message = masker.mask(message)
        for index in record.steps.indices {
            record.steps[index].message = masker.mask(steps[index].message)
            record.steps[index].logTail = masker.mask(steps[index].logTail)
        }
        return record
    }
}

extension ValidationFailure: FreeTextMaskable {
    /// The message masked (it carries what Compose or `system.check` printed); the unit and the check's name not.
    package func masked(by masker: SecretMasker) -> ValidationFailure {
        ValidationFailure(unit: unit, check: check, message: masker.mask(message))
    }
}

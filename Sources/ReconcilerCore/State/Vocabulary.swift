/// What started a deployment (the `trigger` column of the history).
package enum DeploymentTrigger: String, Codable, Sendable, CaseIterable {
    /// `reconciler sync`.
    case sync
    /// The daemon's own poll.
    case poll
    /// The daemon, woken by a webhook.
    case webhook
    /// The daemon, woken by `reconciler trigger`.
    case trigger
    /// `reconciler rollback <rev>`.
    case rollback
    /// `reconciler deploy <unit>…`.
    case deploy
    /// `reconciler restart <unit>…`.
    case restart
    /// The daemon brought back a unit that should run but did not.
    case heal
    /// `reconciler pull-images` brought up the units whose images changed.
    case pullImages = "pull-images"
}

/// What one recorded step ran.
package enum StepAction: String, Codable, Sendable, CaseIterable {
    /// The system switch command.
    case `switch`
    /// `compose up`, then the health gate.
    case up
    /// `compose down`.
    case down
    /// An operator's `reconciler stop`.
    case stop
    /// `system.check` during validation.
    case check
    /// `compose config` (and the `.env` keys) during validation.
    case config

    package init(_ action: PlanStep.Action) {
        switch action {
        case .switch: self = .switch
        case .up: self = .up
        case .down: self = .down
        }
    }

    /// The plan action a recorded apply step stands for; nil for validation and operator steps.
    package var planAction: PlanStep.Action? {
        switch self {
        case .switch: .switch
        case .up: .up
        case .down: .down
        case .stop, .check, .config: nil
        }
    }
}

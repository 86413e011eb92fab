extension Duration {
    /// Rounded to a multiple of `step` seconds (whole seconds by default): enough precision for a person. Every
    /// duration the reconciler prints is spelled by `ConfigDuration.format`, the way reconciler.json writes them.
    package func rounded(to step: Double = 1) -> Duration {
        let seconds = Double(components.seconds) + Double(components.attoseconds) / 1e18
        return .milliseconds(Int64((seconds / step).rounded() * step * 1000))
    }
}

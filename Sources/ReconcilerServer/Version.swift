/// The version `reconciler_info` reports.
package enum ReconcilerVersion {
    package static let current = "0.3.0"
}

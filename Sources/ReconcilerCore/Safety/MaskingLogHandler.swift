import Logging

/// A log handler that masks secrets and escapes control characters in every message and metadata value before
/// handing the event to the handler it wraps: where log lines leave the program. The values of the structured
/// metadata keys the reconciler sets itself (``structuredKeys``: `unit`, `commit` …) are escaped, never masked, so
/// a `.env` value equal to a unit id does not hide the unit a line is about.
///
/// `LoggingSystem.bootstrap { label in MaskingLogHandler(StreamLogHandler.standardError(label: label), masker: masker) }`
/// (in the executable, which alone bootstraps logging), or `Logger(label:) { MaskingLogHandler(…) }` per logger.
package struct MaskingLogHandler: LogHandler {
    package var wrapped: any LogHandler
    package let masker: SecretMasker

    /// Metadata keys whose values are identifiers the reconciler writes (unit ids, commit ids, phases, results).
    package static let structuredKeys: Set<String> = [
        "unit", "commit", "trigger", "result", "phase", "action", "path", "project", "deploy.id",
    ]

    /// - Parameters:
    ///   - wrapped: The handler that writes (stderr, a file).
    ///   - masker: The run's masker; secrets added to it later are masked from then on.
    package init(_ wrapped: any LogHandler, masker: SecretMasker) {
        self.wrapped = wrapped
        self.masker = masker
    }

    package func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: clean(event.message.description))
        event.metadata = event.metadata.map(clean)
        wrapped.log(event: event)
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map { clean($0, key: key) } }
    }

    package var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = clean(newValue) }
    }

    package var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    private func clean(_ text: String) -> String {
        TerminalText.escape(masker.mask(text))
    }

    private func clean(_ metadata: Logger.Metadata) -> Logger.Metadata {
        Dictionary(uniqueKeysWithValues: metadata.map { ($0.key, clean($0.value, key: $0.key)) })
    }

    private func clean(_ value: Logger.Metadata.Value, key: String) -> Logger.Metadata.Value {
        guard Self.structuredKeys.contains(key) else { return clean(value) }
        switch value {
        case .string(let text): return .string(TerminalText.escape(text))
        case .stringConvertible(let convertible): return .string(TerminalText.escape(convertible.description))
        default: return clean(value)
        }
    }

    private func clean(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(clean(text))
        case .stringConvertible(let convertible): .string(clean(convertible.description))
        case .array(let values): .array(values.map(clean))
        case .dictionary(let values): .dictionary(values.mapValues(clean))
        }
    }
}

import Logging

/// A log handler that masks secrets and escapes control characters in every message and metadata value before
/// handing the event to the handler it wraps: where log lines leave the program.
///
/// `LoggingSystem.bootstrap { label in MaskingLogHandler(StreamLogHandler.standardError(label: label), masker: masker) }`
/// (in the executable, which alone bootstraps logging), or `Logger(label:) { MaskingLogHandler(…) }` per logger.
package struct MaskingLogHandler: LogHandler {
    package var wrapped: any LogHandler
    package let masker: SecretMasker

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
        event.metadata = event.metadata?.mapValues(clean)
        wrapped.log(event: event)
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue.map(clean) }
    }

    package var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue.mapValues(clean) }
    }

    package var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    private func clean(_ text: String) -> String {
        TerminalText.escape(masker.mask(text))
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

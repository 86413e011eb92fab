import Foundation
import Git
import Synchronization

/// Replaces every known secret value with `***`, as CI systems mask secrets: the values of every `.env` file the
/// reconciler reads, the fetch token, the webhook secret and passwords in remote URLs.
///
/// One masker lives for a whole run and is shared (it is `Sendable`): secrets are added as they are read, and
/// ``mask(_:)`` is applied where process output enters the program (``ProcessRunner/masker``: every line handed to
/// `onLine` and the kept output tail) and where messages leave it (console, log, state store).
///
/// Values shorter than ``minimumLength`` characters and obvious non-secrets (`true`, `no`, `1000`, `0.5`) are not
/// masked: masking them would blank out ordinary words and numbers everywhere.
package final class SecretMasker: Sendable {
    /// What a secret is replaced with.
    package static let placeholder = "***"
    /// Shorter values are not masked.
    package static let minimumLength = 4

    /// Longest first, so a secret that contains another is replaced whole.
    private let secrets = Mutex<[String]>([])

    package init() {}

    /// - Parameter values: Secret values to mask from the start (filtered like ``add(_:)``).
    package init(_ values: [String]) {
        for value in values { add(value) }
    }

    /// The secrets registered so far, longest first (for tests and diagnostics; never print them).
    package var count: Int { secrets.withLock { $0.count } }

    /// Masks `value` from now on, unless it is too short or obviously not secret. Its JSON-escaped spelling
    /// (`\"`, `\\`, `\/`) is masked too, so masking already-encoded `--json` output finds it.
    package func add(_ value: String) {
        let value = value.trimmingCharacters(in: .whitespaces)
        guard Self.isMaskable(value) else { return }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "/", with: "\\/")
        secrets.withLock { list in
            for spelling in Set([value, escaped]) where !list.contains(spelling) { list.append(spelling) }
            list.sort { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
        }
    }

    /// Masks every value of a dotenv file, the way Compose may echo it: as written, without its quotes, without
    /// only the opening quote (an unterminated quote: Compose prints `unterminated quoted value "<value>`), and
    /// with `\"` unescaped. A value equal to the one `example` (the committed `.env.example` beside it) gives the
    /// same key is public already and is not added.
    ///
    /// This is the one door for dotenv secrets, decrypted `.env.sops` content included: pass the decrypted
    /// dotenv text and the example's text.
    /// - Parameters:
    ///   - text: The file's content.
    ///   - example: The content of the committed example for it, if there is one.
    package func addEnvFile(_ text: String, example: String? = nil) {
        let published = Dictionary(
            (example.map(Self.envEntries) ?? []).map { ($0.key, $0.value) },
            uniquingKeysWith: { _, last in last }
        )
        for entry in Self.envEntries(text) where published[entry.key] != entry.value {
            for spelling in entry.spellings { add(spelling) }
        }
    }

    /// ``addEnvFile(_:example:)`` for the file at `path`, with `<path>.example` (`.env.example` beside `.env`) as
    /// its example when it exists; a missing or unreadable file adds nothing.
    package func addEnvFile(atPath path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let example = FileManager.default.contents(atPath: path + ".example").map {
            String(decoding: $0, as: UTF8.self)
        }
        addEnvFile(String(decoding: data, as: UTF8.self), example: example)
    }

    /// Masks the password of `url` (`https://user:password@host/…`), if it has one.
    package func addURL(_ url: String) {
        if let password = URLRedaction.password(in: url) {
            add(password)
            add(password.removingPercentEncoding ?? password)
        }
    }

    /// Masks the first line of the file at `path` (a token file, a webhook secret file) and the whole content.
    package func addSecretFile(atPath path: String) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let text = String(decoding: data, as: UTF8.self)
        if let first = text.split(whereSeparator: \.isNewline).first { add(String(first)) }
        add(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `text` with every registered secret replaced by ``placeholder``, and any URL password too.
    package func mask(_ text: String) -> String {
        var result = URLRedaction.redactingURLPasswords(text)
        for secret in secrets.withLock({ $0 }) where TextSearch.mayContain(result, secret) {
            result = result.replacingOccurrences(of: secret, with: Self.placeholder)
        }
        return result
    }

    // MARK: Rules

    /// False for values too short or too plain to be secrets: fewer than ``minimumLength`` characters, booleans
    /// (`true`, `off`, `yes` …) and numbers (`1000`, `-1`, `0.25`).
    package static func isMaskable(_ value: String) -> Bool {
        guard value.count >= minimumLength, value != placeholder else { return false }
        let booleans: Set<String> = ["true", "false", "yes", "no", "on", "off", "null", "none", "enabled", "disabled"]
        if booleans.contains(value.lowercased()) { return false }
        if Double(value) != nil, value.allSatisfy({ $0.isNumber || "+-.eE_".contains($0) }) { return false }
        return true
    }

    /// One assignment of a dotenv file: its key, its value as Compose reads it (unquoted, without a trailing
    /// comment), and every spelling of it Compose might print.
    struct EnvEntry {
        let key: String
        let value: String
        let spellings: [String]
    }

    /// Every spelling of every value in a dotenv file that Compose might print.
    static func envValues(_ text: String) -> [String] {
        envEntries(text).flatMap(\.spellings)
    }

    static func envEntries(_ text: String) -> [EnvEntry] {
        var entries: [EnvEntry] = []
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst("export ".count)) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let raw = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard !raw.isEmpty else { continue }
            var values = [raw]
            var value = raw
            if let quote = raw.first, quote == "\"" || quote == "'" {
                let opened = String(raw.dropFirst())
                values.append(opened)
                value = opened
                if let close = opened.lastIndex(of: quote) {
                    let inner = String(opened[..<close])
                    values.append(inner)
                    values.append(inner.replacingOccurrences(of: "\\\"", with: "\""))
                    values.append(inner.replacingOccurrences(of: "\\n", with: "\n"))
                    value = inner
                }
            } else if let comment = raw.range(of: " #") {
                value = raw[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
                values.append(value)
            }
            entries.append(EnvEntry(key: key, value: value, spellings: values))
        }
        return entries
    }
}

extension SecretMasker {
    /// The command line's one masker for the whole process: the console, the log handler, the process runner and
    /// the ledger all mask with it; ``forRun(config:workTree:remoteURL:into:)`` fills it when a command opens.
    package static let shared = SecretMasker()

    /// A masker for one run: the values of every `.env` file in the work tree (any depth, `.git` skipped), the
    /// token file, the webhook secret file, and the password of the remote URL.
    /// - Parameters:
    ///   - config: The configuration in force (its `auth.tokenFile` and `webhook.secretFile`).
    ///   - workTree: The repository's work tree.
    ///   - remoteURL: The URL fetched from, when known.
    ///   - masker: The masker to add them to (default: a new one).
    package static func forRun(
        config: Config,
        workTree: String,
        remoteURL: String?,
        into masker: SecretMasker = SecretMasker()
    ) -> SecretMasker {
        for path in EnvFileScan.envFiles(under: workTree) { masker.addEnvFile(atPath: path) }
        if let tokenFile = config.auth.tokenFile { masker.addSecretFile(atPath: tokenFile) }
        if let secretFile = config.webhook?.secretFile { masker.addSecretFile(atPath: secretFile) }
        masker.addURL(config.remote)
        if let remoteURL { masker.addURL(remoteURL) }
        return masker
    }
}

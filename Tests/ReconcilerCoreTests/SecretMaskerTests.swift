import Foundation
import Logging
import ReconcilerCore
import ReconcilerTesting
import Synchronization
import Testing

/// Secrets come out as `***`: from `.env` values (quoted, unterminated, exported), tokens and URL passwords, in
/// what processes print as it enters the program.
@Suite(.serialized) struct SecretMaskerTests {
    @Test func envValuesAreMaskedInEverySpelling() {
        let masker = SecretMasker()
        masker.addEnvFile(
            """
            # comment
            TZ=Europe/Berlin
            PUID=1000
            DEBUG=true
            PIN=123
            KEY=abc
            export API_KEY=sk-live-0123456789
            QUOTED="pa ss \\"word\\" 42"
            SINGLE='single-quoted-secret'
            BROKEN="unterminated-secret
            COMMENTED=plain-secret # the admin password
            """
        )
        let text = """
            tz Europe/Berlin uid 1000 debug true pin 123 key abc
            api sk-live-0123456789 quoted pa ss "word" 42 single single-quoted-secret
            unterminated quoted value "unterminated-secret
            commented plain-secret
            """
        #expect(
            masker.mask(text) == """
                tz *** uid 1000 debug true pin 123 key abc
                api *** quoted *** single ***
                unterminated quoted value ***
                commented ***
                """
        )
    }

    @Test func shortBooleanAndNumericValuesAreNotSecrets() {
        for value in ["abc", "true", "FALSE", "yes", "off", "1000", "-1", "0.25", "1e10", "***"] {
            #expect(!SecretMasker.isMaskable(value), "\(value)")
        }
        for value in ["abcd", "hunter2", "1000abc", "10.0.0.2/24", "Europe/Berlin"] {
            #expect(SecretMasker.isMaskable(value), "\(value)")
        }
    }

    /// A tail cut inside a secret would leave the secret's end, which masking cannot recognise: that partial
    /// line goes.
    @Test func aTailCutInsideASecretLeavesNoPartOfIt() async throws {
        let secret = "tail-secret-0123456789abcdef"
        let runner = ProcessRunner(logger: Logger(label: "test"), masker: SecretMasker([secret]))
        for offset in 0..<secret.count {
            let after = String(repeating: "z", count: 40 - min(offset, 40))
            let script = "printf 'start\\nvalue=\(secret)\(after)\\nend line\\n'"
            let result = try await runner.run(
                ["sh", "-c", script],
                timeout: .seconds(10),
                outputTailLimit: 40 + offset
            )
            for length in 4...secret.count {
                #expect(!result.outputTail.contains(secret.suffix(length)), "\(offset): \(result.outputTail)")
            }
            #expect(result.outputTail.hasSuffix("end line\n"))
        }
    }

    @Test func encodedJSONIsMaskedToo() throws {
        let masker = SecretMasker(["pa\"ss/word\\x"])
        let json = String(decoding: try JSONEncoder().encode(["message": "failed: pa\"ss/word\\x"]), as: UTF8.self)
        #expect(!json.contains("pa\"ss/word"))
        #expect(masker.mask(json) == #"{"message":"failed: ***"}"#)
    }

    /// A secret inside a long text of accented words, emoji and CRLF line ends (the masker looks for secrets by their
    /// bytes), and a secret that is not ASCII.
    @Test func secretsAreFoundInLongNonASCIIText() {
        let masker = SecretMasker(["tok_abc123XYZ", "mot-de-passe-été"])
        let text = String(repeating: "dépôt ☕️\r\n", count: 20_000) + "token=tok_abc123XYZ\r\nété=mot-de-passe-été"
        let masked = masker.mask(text)
        #expect(!masked.contains("tok_abc123XYZ"))
        #expect(!masked.contains("mot-de-passe-été"))
        #expect(masked.hasSuffix("token=***\r\nété=***"))
        #expect(masked.hasPrefix("dépôt ☕️\r\ndépôt"))
    }

    @Test func aLongerSecretContainingAShorterOneIsMaskedWhole() {
        let masker = SecretMasker(["secret", "supersecretvalue"])
        #expect(masker.mask("x supersecretvalue y secret") == "x *** y ***")
    }

    @Test func tokensURLPasswordsAndSecretFilesAreMasked() throws {
        let directory = try TemporaryDirectory(prefix: "masker")
        defer { directory.remove() }
        let tokenFile = directory.appending("token")
        try Data("ghp_tokenvalue123\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        let masker = SecretMasker()
        masker.addSecretFile(atPath: tokenFile)
        masker.addURL("https://deploy:p%40ssw0rd@git.example/h.git")
        let masked = masker.mask(
            "auth ghp_tokenvalue123 failed for https://deploy:p%40ssw0rd@git.example/h.git (p@ssw0rd)"
        )
        #expect(masked == "auth *** failed for https://deploy:***@git.example/h.git (***)")
    }

    /// Real Compose output: `docker compose config` on a project whose `.env` has an unterminated quote prints
    /// `unterminated quoted value "<value>`, and one whose port comes from `.env` prints
    /// `invalid containerPort: <value>`. Run through the product's runner with the masker, neither value is left.
    @Test func composeErrorsEchoingEnvValuesComeOutMasked() async throws {
        let directory = try TemporaryDirectory(prefix: "masker-compose")
        defer { directory.remove() }
        let quote = directory.appending("quote")
        let port = directory.appending("port")
        try GitFixture.write(
            "services:\n  web:\n    image: busybox\n    environment:\n      PASS: ${DB_PASSWORD}\n",
            to: "compose.yml",
            in: quote
        )
        try GitFixture.write(
            "TZ=Europe/Berlin\nDB_PASSWORD=\"s3cr3t-Pa55word\nOTHER=visible\n",
            to: ".env",
            in: quote
        )
        try GitFixture.write(
            "services:\n  web:\n    image: busybox\n    ports:\n      - \"8080:${WEB_PORT}\"\n",
            to: "compose.yml",
            in: port
        )
        try GitFixture.write("WEB_PORT=hunter2-port-secret\n", to: ".env", in: port)

        for (project, secret, echo, masked) in [
            (quote, "s3cr3t-Pa55word", "unterminated quoted value \"", "unterminated quoted value ***"),
            (port, "hunter2-port-secret", "invalid containerPort: ", "invalid containerPort: ***"),
        ] {
            let plain = ProcessRunner(logger: Logger(label: "test"))
            let unmasked = try await plain.run(["docker", "compose", "config"], in: project, timeout: .seconds(60))
            // The test means something: Compose itself prints the value.
            #expect(unmasked.status != 0)
            #expect(unmasked.outputTail.contains(echo + secret), "\(unmasked.outputTail)")

            let masker = SecretMasker()
            masker.addEnvFile(atPath: "\(project)/.env")
            let runner = ProcessRunner(logger: Logger(label: "test"), masker: masker)
            let lines = LineLog()
            let result = try await runner.run(
                ["docker", "compose", "config"],
                in: project,
                timeout: .seconds(60),
                onLine: { lines.append($0) }
            )
            #expect(result.status == unmasked.status)
            #expect(!result.outputTail.contains(secret), "\(result.outputTail)")
            #expect(result.outputTail.contains(masked), "\(result.outputTail)")
            #expect(!lines.all.joined(separator: "\n").contains(secret))
            #expect(lines.all.contains { $0.contains(masked) })
        }
    }
}

/// Control characters from commit messages, paths and process output are shown, never obeyed.
@Suite struct TerminalTextTests {
    @Test func escapeSequencesAreShownNotObeyed() {
        let summary = "deploy \u{1B}]0;pwned\u{07}\u{1B}[2J done"
        #expect(TerminalText.escape(summary) == "deploy \\x1B]0;pwned\\x07\\x1B[2J done")
        #expect(TerminalText.escape("a\u{9B}31mb\u{7F}c\rd") == "a\\x9B31mb\\x7Fc\\x0Dd")
    }

    @Test func layoutIsKeptOnlyWhenAsked() {
        #expect(TerminalText.escape("line 1\n\tline 2") == "line 1\n\tline 2")
        #expect(TerminalText.escape("line 1\n\tline 2", keepingLayout: false) == "line 1\\x0A\\x09line 2")
        #expect(TerminalText.escape("plain ünïcode ✓") == "plain ünïcode ✓")
    }
}

/// Lines handed to `onLine`, collected from the runner's reader tasks.
private final class LineLog: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// Log lines leave the program masked and escaped.
@Suite struct MaskingLogHandlerTests {
    /// Keeps what reaches it: the sink a stream handler would write to.
    private final class Sink: LogHandler, @unchecked Sendable {
        let events = Mutex<[LogEvent]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) { events.withLock { $0.append(event) } }
    }

    @Test func messagesAndMetadataAreMaskedAndEscaped() {
        let sink = Sink()
        let masker = SecretMasker(["hunter2-secret"])
        var logger = Logger(label: "test") { _ in MaskingLogHandler(sink, masker: masker) }
        logger[metadataKey: "error"] = "plex hunter2-secret"
        logger.warning(
            "compose said: invalid containerPort: hunter2-secret \u{1B}]0;owned\u{07}",
            metadata: ["process.argv": "docker compose up", "tail": .array(["x hunter2-secret"])]
        )
        let event = sink.events.withLock { $0.first }
        #expect(event?.message.description == "compose said: invalid containerPort: *** \\x1B]0;owned\\x07")
        #expect(event?.metadata?["tail"] == .array(["x ***"]))
        #expect(event?.metadata?["process.argv"] == "docker compose up")
        #expect(sink.metadata["error"] == "plex ***")
    }

    /// Log metadata the reconciler sets itself (`unit`, `commit` …) is escaped, never masked; other values are.
    @Test func structuredLogMetadataIsNotMasked() {
        let sink = Sink()
        let masker = SecretMasker(["immich", "hunter2-secret"])
        let logger = Logger(label: "test") { _ in MaskingLogHandler(sink, masker: masker) }
        logger.warning(
            "immich failed: hunter2-secret",
            metadata: ["unit": "immich", "commit": "0123abcd", "error": "user immich: hunter2-secret"]
        )
        let event = sink.events.withLock { $0.first }
        #expect(event?.message.description == "*** failed: ***")
        #expect(event?.metadata?["unit"] == "immich")
        #expect(event?.metadata?["error"] == "user ***: ***")
    }
}

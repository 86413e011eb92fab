import Foundation
import ReconcilerCore
import ReconcilerTesting
import Testing

/// Masking hides secrets and nothing else: values the committed `.env.example` publishes are not secrets, short
/// values are never masked.
@Suite struct MaskingScopeTests {
    /// A `.env` value equal to the one its `.env.example` commits for the same key is public; the same value under
    /// another key, or a key whose value differs from the example's, is still a secret.
    @Test func aValueTheExampleCommitsForTheSameKeyIsPublic() throws {
        let directory = try TemporaryDirectory(prefix: "masking-scope")
        defer { directory.remove() }
        try GitFixture.write(
            "DB_USERNAME=immich\nDB_DATABASE_NAME=\"immich\"\nTZ=Europe/Berlin\nDB_PASSWORD=changeme-please\n",
            to: "services/immich/.env.example",
            in: directory.path
        )
        try GitFixture.write(
            "DB_USERNAME=immich\nDB_DATABASE_NAME=immich\nTZ=Europe/Berlin\nDB_PASSWORD=s3cret-pass-1\n"
                + "UPLOAD_TOKEN=Europe/Paris\n",
            to: "services/immich/.env",
            in: directory.path
        )
        // No example beside this one: every value is a secret.
        try GitFixture.write("DB_NAME=nextcloud\n", to: "services/nextcloud/.env", in: directory.path)
        let masker = SecretMasker.forRun(config: Config(), workTree: directory.path, remoteURL: nil)
        let text = "user immich db immich tz Europe/Berlin pass s3cret-pass-1 token Europe/Paris name nextcloud"
        #expect(masker.mask(text) == "user immich db immich tz Europe/Berlin pass *** token *** name ***")
    }

    /// The one door `.env.sops` uses: decrypted dotenv text with its example.
    @Test func decryptedDotenvTextIsAddedWithItsExample() {
        let masker = SecretMasker()
        masker.addEnvFile("API_KEY=sk-live-decrypted\nREGION=eu-west-1\n", example: "API_KEY=\nREGION=eu-west-1\n")
        #expect(masker.mask("key sk-live-decrypted region eu-west-1") == "key *** region eu-west-1")
    }

    /// Under four characters a value is never masked, inside other words or standing alone: masking `db` or `app`
    /// would blank out ordinary words everywhere, and so short a value protects nothing (docs/security.md).
    @Test func valuesUnderFourCharactersAreNeverMasked() {
        let masker = SecretMasker()
        masker.addEnvFile("DB_USER=db\nAPP=app\nPIN=123\nLONGER=abcd\n")
        #expect(masker.mask("db database app application 123 1234 abcd") == "db database app application 123 1234 ***")
    }
}

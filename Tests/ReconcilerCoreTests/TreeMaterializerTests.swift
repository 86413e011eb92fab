import Foundation
import Git
import ReconcilerTesting
import Testing

@testable import ReconcilerCore

/// The scratch copy validation checks: the commit's files with their modes, the work tree's secrets beside them at
/// 0600, and nothing written through a link the commit put in place of a directory.
@Suite struct TreeMaterializerTests {
    @Test func theCopyHoldsTheCommitsFilesWithTheirModesAndTheSecretsAt0600() throws {
        let fixture = try GitFixture.make(files: ["README.md": "r\n"])
        defer { fixture.remove() }
        let head = try fixture.commit([
            "services/base.yml": .write("x-base: 1\n"),
            "services/web/compose.yml": .write("services: {}\n"),
            "services/web/run.sh": .executable("#!/bin/sh\n"),
            "services/web/.env.example": .write("KEY=\n"),
        ])
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        try repo.checkout(ObjectID(hex: head))
        // The operator's secrets, untracked in the work tree.
        try write("KEY=secret\n", to: "\(fixture.clone)/services/web/.env", mode: 0o640)
        try write("DB=secret\n", to: "\(fixture.clone)/services/web/db.env", mode: 0o644)

        let scratch = try TemporaryDirectory(prefix: "materialize")
        defer { scratch.remove() }
        // A file already there is replaced whole, not appended to.
        try FileManager.default.createDirectory(
            atPath: scratch.appending("services/web"),
            withIntermediateDirectories: true
        )
        try write(
            String(repeating: "stale ", count: 100),
            to: scratch.appending("services/web/compose.yml"),
            mode: 0o600
        )
        try copyServices(of: head, from: repo, workTree: fixture.clone, into: scratch)

        #expect(try contents(scratch.appending("services/web/compose.yml")) == "services: {}\n")
        #expect(try contents(scratch.appending("services/base.yml")) == "x-base: 1\n")
        #expect(try mode(scratch.appending("services/web/compose.yml")) == 0o644)
        #expect(try mode(scratch.appending("services/web/run.sh")) == 0o755)
        #expect(try contents(scratch.appending("services/web/.env")) == "KEY=secret\n")
        #expect(try contents(scratch.appending("services/web/db.env")) == "DB=secret\n")
        #expect(try mode(scratch.appending("services/web/.env")) == 0o600)
        #expect(try mode(scratch.appending("services/web/db.env")) == 0o600)
        #expect(
            try contents(scratch.appending("services/web/.env.example")) == "KEY=\n",
            "the tracked example, as committed"
        )
    }

    @Test func aSecretIsNeverWrittenThroughALinkTheCommitPutInPlaceOfADirectory() throws {
        let fixture = try GitFixture.make(files: ["services/web/compose.yml": "services: {}\n"])
        defer { fixture.remove() }
        let outside = try TemporaryDirectory(prefix: "outside")
        defer { outside.remove() }
        // The work tree still has the real directory, with its secret; the commit makes it a link out of the copy.
        try write("KEY=secret\n", to: "\(fixture.clone)/services/web/.env", mode: 0o600)
        let head = try fixture.commit([
            "services/web/compose.yml": .delete,
            "services/web": .symlink(to: outside.path),
        ])
        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(20))
        let scratch = try TemporaryDirectory(prefix: "materialize")
        defer { scratch.remove() }
        try copyServices(of: head, from: repo, workTree: fixture.clone, into: scratch)
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: scratch.appending("services/web")) == outside.path
        )
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty,
            "nothing went through the link"
        )
    }

    /// What validation does: `services/` of `commit` into `scratch`, then the work tree's `.env` files beside.
    private func copyServices(
        of commit: String,
        from repo: Repository,
        workTree: String,
        into scratch: TemporaryDirectory
    )
        throws
    {
        let materializer = TreeMaterializer(repository: repo)
        try materializer.materialize(
            commit: ObjectID(hex: commit),
            directories: ["services"],
            into: scratch.path,
            entries: try repo.treeEntries(at: ObjectID(hex: commit))
        )
        materializer.copyEnvFilesRecursively(from: "\(workTree)/services", to: scratch.appending("services"))
    }

    private func write(_ text: String, to path: String, mode: Int) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    private func contents(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    private func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }
}

import Foundation
import Git
import ReconcilerTesting
import Testing

/// The in-process diff on a homelab-sized repository: 2,000 files, then ~50 modified, 5 renamed (3 of them also
/// edited), a few added and deleted — the same changes as `git diff -M` finds. How fast it is, is `make bench`'s
/// question, not a test's.
@Suite struct LargeDiffTests {
    @Test func diffOfTwoThousandFiles() throws {
        var files: [String: String] = [:]
        for service in 0..<100 {
            for file in 0..<20 {
                files["services/svc\(service)/file\(file).yml"] =
                    "service: \(service)\nfile: \(file)\n" + String(repeating: "line \(file)\n", count: 30)
            }
        }
        let fixture = try GitFixture.make(files: files, message: "2000 files")
        defer { fixture.remove() }
        let from = ObjectID(hex: try fixture.remoteHead())

        var changes: [String: GitFixture.FileChange] = [:]
        for i in 0..<50 { changes["services/svc\(i * 2)/file\(i % 20).yml"] = .write("changed \(i)\n") }
        for i in 0..<5 { changes["services/new\(i)/compose.yml"] = .write("new \(i)\n") }
        for i in 0..<3 { changes["services/svc99/file\(i).yml"] = .delete }
        try fixture.commit(changes, message: "50 changes")
        for i in 0..<5 { try fixture.rename("services/svc\(i * 2 + 1)/file19.yml", to: "moved/file\(i).yml") }
        // Three of the renamed files are also edited: those need the content similarity check, not just equal ids.
        var edits: [String: String?] = [:]
        for i in 0..<3 {
            edits["moved/file\(i).yml"] =
                "service: \(i * 2 + 1)\nfile: 19\n" + String(repeating: "line 19\n", count: 30) + "edited\n"
        }
        try fixture.commit(files: edits, message: "edit moved files")
        let to = ObjectID(hex: try fixture.remoteHead())

        let repo = try Repository(at: fixture.clone)
        _ = try repo.fetch(remote: "origin", branch: "main", credentials: Credentials(), timeout: .seconds(60))

        let result = try repo.diff(from: from, to: to)
        #expect(try repo.diff(from: from, to: to) == result, "the same diff twice")
        #expect(try repo.diff(from: nil, to: to).count == 2_002)
        let cli = try fixture.gitInClone(["diff", "--name-status", "-M", from.hex, to.hex])

        #expect(result.count == 63)
        #expect(result.filter { if case .renamed = $0 { true } else { false } }.count == 5)
        #expect(cli.split(separator: "\n").count == 63)
        for i in 0..<5 {
            #expect(
                result.contains(.renamed(from: "services/svc\(i * 2 + 1)/file19.yml", to: "moved/file\(i).yml")),
                "rename \(i) detected"
            )
        }
    }
}

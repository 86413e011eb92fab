import Foundation
import ReconcilerTesting
import Testing

/// shim.h copies a private libgit2 struct: it refuses to compile against a libgit2 version nobody checked it for.
/// Compiled here with the toolchain's clang against stand-in `git2.h` headers that claim a version.
@Suite struct ShimGuardTests {
    private static let shim = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/CLibGit2/shim.h").path

    private func compile(major: Int, minor: Int) throws -> CommandResult {
        let directory = try TemporaryDirectory(prefix: "shim-guard")
        defer { directory.remove() }
        try GitFixture.write(
            """
            #define LIBGIT2_VER_MAJOR \(major)
            #define LIBGIT2_VER_MINOR \(minor)
            typedef struct git_stream { int version; } git_stream;

            """,
            to: "git2.h",
            in: directory.path
        )
        try GitFixture.write("\n", to: "git2/sys/stream.h", in: directory.path)
        return try Command.run(["clang", "-fsyntax-only", "-x", "c", "-I", directory.path, Self.shim])
    }

    @Test(arguments: [(1, 5), (1, 9)])
    func aCheckedVersionCompiles(major: Int, minor: Int) throws {
        let result = try compile(major: major, minor: minor)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(arguments: [(1, 4), (1, 10), (2, 0), (0, 28)])
    func anUncheckedVersionIsACompileError(major: Int, minor: Int) throws {
        let result = try compile(major: major, minor: minor)
        #expect(result.status != 0)
        #expect(result.stderr.contains("outside 1.5-1.9"), "\(result.output)")
        #expect(result.stderr.contains("private git_socket_stream layout"), "\(result.output)")
    }
}

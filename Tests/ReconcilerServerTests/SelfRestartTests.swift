import Foundation
import ReconcilerTesting
import Testing

@testable import ReconcilerServer

/// The daemon restarts itself when its unit file or executable changed (the module sets restartIfChanged = false).
struct SelfRestartTests {
    /// A NixOS-like layout: /etc/systemd/system/x.service is a link to the unit in a store path; a switch relinks it.
    @Test func aSwitchThatRelinksTheUnitToNewContentAsksForARestart() throws {
        let dir = try TemporaryDirectory(prefix: "self-restart")
        defer { dir.remove() }
        let old = dir.appending("old.service")
        let new = dir.appending("new.service")
        try "ExecStart=/nix/store/aaa-reconciler/bin/reconciler run\n".write(
            toFile: old,
            atomically: true,
            encoding: .utf8
        )
        try "ExecStart=/nix/store/bbb-reconciler/bin/reconciler run\n".write(
            toFile: new,
            atomically: true,
            encoding: .utf8
        )
        let unit = dir.appending("homelab-reconciler.service")
        try FileManager.default.createSymbolicLink(atPath: unit, withDestinationPath: old)
        let executable = dir.appending("reconciler")
        try "binary".write(toFile: executable, atomically: true, encoding: .utf8)

        let watch = SelfRestart(unitFile: unit, executable: executable)
        #expect(watch.reason() == nil, "nothing changed yet")

        // A switch whose unit is the same content (another unit changed): no restart.
        let same = dir.appending("same.service")
        try FileManager.default.copyItem(atPath: old, toPath: same)
        try FileManager.default.removeItem(atPath: unit)
        try FileManager.default.createSymbolicLink(atPath: unit, withDestinationPath: same)
        #expect(watch.reason() == nil, "same unit content")

        try FileManager.default.removeItem(atPath: unit)
        try FileManager.default.createSymbolicLink(atPath: unit, withDestinationPath: new)
        let reason = try #require(watch.reason())
        #expect(reason.contains("unit file \(unit) changed"), "\(reason)")
    }

    /// `make install` (or a package upgrade) replaces the binary under the same path: a new inode.
    @Test func aReplacedExecutableAsksForARestart() throws {
        let dir = try TemporaryDirectory(prefix: "self-restart")
        defer { dir.remove() }
        let unit = dir.appending("reconciler.service")
        try "[Service]\n".write(toFile: unit, atomically: true, encoding: .utf8)
        let executable = dir.appending("reconciler")
        try "v1".write(toFile: executable, atomically: false, encoding: .utf8)
        let watch = SelfRestart(unitFile: unit, executable: executable)
        #expect(watch.reason() == nil)

        let staged = dir.appending("reconciler.new")
        try "v2".write(toFile: staged, atomically: false, encoding: .utf8)
        #expect(rename(staged, executable) == 0)
        let reason = try #require(watch.reason())
        #expect(reason.contains("executable \(executable) was replaced"), "\(reason)")
    }

    @Test func aRemovedUnitFileAsksForARestart() throws {
        let dir = try TemporaryDirectory(prefix: "self-restart")
        defer { dir.remove() }
        let unit = dir.appending("reconciler.service")
        try "[Service]\n".write(toFile: unit, atomically: true, encoding: .utf8)
        let watch = SelfRestart(unitFile: unit, executable: "")
        try FileManager.default.removeItem(atPath: unit)
        #expect(watch.reason() != nil)
    }

    /// Only the shipped units ask for the watch; a daemon started by hand or by a test is never restarted.
    @Test func onlyRECONCILER_UNIT_FILETurnsItOn() throws {
        #expect(SelfRestart.fromEnvironment([:]) == nil)
        #expect(SelfRestart.fromEnvironment(["RECONCILER_UNIT_FILE": ""]) == nil)
        let watch = try #require(SelfRestart.fromEnvironment(["RECONCILER_UNIT_FILE": "/nonexistent.service"]))
        #expect(watch.unitFile == "/nonexistent.service")
        #expect(!watch.executable.isEmpty)
        #expect(watch.reason() == nil, "a missing unit that stays missing is no change")
    }
}

import Foundation

/// A NixOS system generation: the profile's `-N-link` and the store path it names.
package struct NixGeneration: Sendable, Equatable {
    /// `<profile>-N-link` (what `switch-to-configuration` is run from when falling back).
    package let link: String
    /// N.
    package let number: Int
    /// The system's store path (`/nix/store/…-nixos-system-…`).
    package let path: String
}

/// What the system step reads of the Nix profile and the build's result, as `nixos-rebuild` does: links only,
/// no evaluation and no process.
package enum NixGenerations {
    /// The store paths whose change means a reboot, as NixOS names them inside a system.
    package static let bootComponents = ["kernel", "initrd", "systemd"]

    /// The system the host booted, as NixOS links it (nil where there is none).
    package static let bootedSystem: String? = "/run/booted-system"

    /// The generation `profile` points at now (the boot default), or nil when it names none.
    /// - Parameters:
    ///   - profile: `/nix/var/nix/profiles/system`, a link to `system-N-link`.
    package static func current(_ profile: String) -> NixGeneration? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: profile) else { return nil }
        let directory = (profile as NSString).deletingLastPathComponent
        let name = (profile as NSString).lastPathComponent
        let linkName = (target as NSString).lastPathComponent
        guard linkName.hasPrefix("\(name)-"), linkName.hasSuffix("-link"),
            let number = Int(linkName.dropFirst(name.count + 1).dropLast("-link".count))
        else { return nil }
        let link = "\(directory)/\(linkName)"
        guard let path = resolved(link) else { return nil }
        return NixGeneration(link: link, number: number, path: path)
    }

    /// The system `system.build` left at `<directory>/result`, read and the link removed (as `nixos-rebuild` does).
    /// - Throws: A ``ReconcilerError`` naming the build command when there is no such link.
    package static func takeResult(in directory: String, build: [String]) throws -> String {
        let link = "\(directory)/result"
        guard (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) != nil, let path = resolved(link)
        else {
            throw ReconcilerError(
                .configuration,
                "`\(build.joined(separator: " "))` left no system at \(link): system.build must build the system "
                    + "into ./result, as `nixos-rebuild build` and `nix build` do"
            )
        }
        try? FileManager.default.removeItem(atPath: link)
        return path
    }

    /// Which of ``bootComponents`` differ between two systems (their store paths compared).
    package static func rebootNeeded(from old: String, to new: String) -> [String] {
        bootComponents.filter { resolved("\(old)/\($0)") != resolved("\(new)/\($0)") }
    }

    private static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }
}

import Foundation

/// A faithful stand-in for NixOS's system profile, for the phased system step on the test rig (nixpkgs cannot run
/// here). Under `root`:
///
/// - `profiles/system` → `system-N-link` → `store/gen-N`: numbered generation links, as `/nix/var/nix/profiles`;
/// - each generation's `bin/switch-to-configuration` records `<mode> gen-N` in ``calls`` (`test`, `boot`, `switch`);
///   a generation built while ``breakNext(_:)`` was armed runs that shell snippet at `test` (it can stop a private
///   Docker engine, move the bare remote away, make a service unhealthy, or `exit 1`); `switch` of any generation runs
///   the repair snippet (``repair(_:)``, what activating the old, good configuration restores) unless
///   ``refuseRepair()`` was called;
/// - `kernel`, `initrd`, `systemd` links in each generation name store paths; ``changeKernelNext()`` gives the next
///   build a new kernel;
/// - ``buildScript`` stands in for `nixos-rebuild build`: it records `build`, makes `store/gen-K` and points
///   `./result` (in the directory it runs in) at it;
/// - ``binDirectory`` holds a `nix-env` that does `--profile P --set R` as nix-env does (a new `P-N-link` → R, then
///   `P` → that link), recording `nix-env --set gen-K`. Put it first on the reconciler's `PATH`.
package struct StandInNixOS: Sendable {
    package let root: String

    package var profile: String { "\(root)/profiles/system" }
    package var buildScript: String { "\(root)/build.sh" }
    package var binDirectory: String { "\(root)/bin" }
    private var callLog: String { "\(root)/calls" }

    /// Creates the profile with generation 1 (active and the boot default).
    package init(root: String) throws {
        self.root = root
        let fm = FileManager.default
        for dir in ["profiles", "store", "bin"] {
            try fm.createDirectory(atPath: "\(root)/\(dir)", withIntermediateDirectories: true)
        }
        try "1\n".write(toFile: "\(root)/counter", atomically: true, encoding: .utf8)
        try "kernel-1\n".write(toFile: "\(root)/kernel", atomically: true, encoding: .utf8)
        for part in ["kernel-1", "initrd-1", "systemd-1"] {
            try fm.createDirectory(atPath: "\(root)/store/\(part)", withIntermediateDirectories: true)
        }
        try Self.write("\(root)/make-generation.sh", makeGeneration)
        try Self.write(buildScript, build)
        try Self.write("\(binDirectory)/nix-env", nixEnv)
        let made = try Command.run(["\(root)/make-generation.sh", "1"])
        guard made.status == 0 else { throw StandInError("cannot make generation 1: \(made.output)") }
        try fm.createSymbolicLink(atPath: "\(profile)-1-link", withDestinationPath: "\(root)/store/gen-1")
        try fm.createSymbolicLink(atPath: profile, withDestinationPath: "system-1-link")
    }

    /// The next build's generation runs `snippet` (sh) when it is tested.
    package func breakNext(_ snippet: String) throws {
        try snippet.write(toFile: "\(root)/break-next", atomically: true, encoding: .utf8)
    }

    /// What `switch-to-configuration switch` of a generation restores (sh).
    package func repair(_ snippet: String) throws {
        try snippet.write(toFile: "\(root)/repair", atomically: true, encoding: .utf8)
    }

    /// From now on, activating a generation with `switch` repairs nothing (an old generation that is broken too).
    package func refuseRepair() throws {
        try "".write(toFile: "\(root)/no-repair", atomically: true, encoding: .utf8)
    }

    /// The next build gets another kernel store path.
    package func changeKernelNext() throws {
        let next = "kernel-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: "\(root)/store/\(next)", withIntermediateDirectories: true)
        try "\(next)\n".write(toFile: "\(root)/kernel", atomically: true, encoding: .utf8)
    }

    /// Every recorded call, in order: `build`, `test gen-2`, `nix-env --set gen-2`, `boot gen-2`, `switch gen-1` …
    package func calls() -> [String] {
        ((try? String(contentsOfFile: callLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The generation the profile points at (the boot default): `gen-N`.
    package func bootDefault() -> String? {
        guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: profile),
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/profiles/\(link)")
        else { return nil }
        return (target as NSString).lastPathComponent
    }

    /// The generation last activated (`test` or `switch`): `gen-N`.
    package func active() -> String? {
        (try? String(contentsOfFile: "\(root)/active", encoding: .utf8))?.trimmingCharacters(
            in: .whitespacesAndNewlines
        )
    }

    private static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    /// `make-generation.sh N`: store/gen-N with its activation script, boot links and (once) the armed breakage.
    private var makeGeneration: String {
        """
        #!/bin/sh
        set -e
        root='\(root)'
        gen="$root/store/gen-$1"
        mkdir -p "$gen/bin"
        ln -sfn "$root/store/$(cat "$root/kernel")" "$gen/kernel"
        ln -sfn "$root/store/initrd-1" "$gen/initrd"
        ln -sfn "$root/store/systemd-1" "$gen/systemd"
        if [ -f "$root/break-next" ]; then mv "$root/break-next" "$gen/break"; fi
        cat > "$gen/bin/switch-to-configuration" <<'SCRIPT'
        #!/bin/sh
        root='\(root)'
        name=$(basename "$(dirname "$(dirname "$(readlink -f "$0")")")")
        gen="$root/store/$name"
        echo "$1 $name" >> "$root/calls"
        case "$1" in
            test)
                echo "$name" > "$root/active"
                if [ -f "$gen/break" ]; then sh -e "$gen/break" || { echo "activation of $name failed" >&2; exit 1; }; fi
                ;;
            switch)
                echo "$name" > "$root/active"
                if [ -f "$root/repair" ] && [ ! -f "$root/no-repair" ]; then sh -e "$root/repair"; fi
                ;;
            boot) ;;
            *) echo "usage: switch-to-configuration test|boot|switch" >&2; exit 1 ;;
        esac
        echo "stand-in switch-to-configuration $1 of $name: done"
        SCRIPT
        chmod 755 "$gen/bin/switch-to-configuration"
        """
    }

    /// `nixos-rebuild build`: a new generation in the store, `./result` pointing at it.
    private var build: String {
        """
        #!/bin/sh
        set -e
        root='\(root)'
        echo "build $*" >> "$root/calls"
        n=$(($(cat "$root/counter") + 1))
        echo "$n" > "$root/counter"
        "$root/make-generation.sh" "$n"
        ln -sfn "$root/store/gen-$n" result
        echo "stand-in build: $root/store/gen-$n"
        """
    }

    /// `nix-env --profile P --set R`.
    private var nixEnv: String {
        """
        #!/bin/sh
        set -e
        root='\(root)'
        [ "$1" = --profile ] && [ "$3" = --set ] || { echo "stand-in nix-env: only --profile P --set R" >&2; exit 1; }
        profile=$2; target=$4
        echo "nix-env --set $(basename "$target")" >> "$root/calls"
        n=0
        for link in "$profile"-*-link; do
            [ -L "$link" ] || continue
            k=${link#"$profile"-}; k=${k%-link}
            [ "$k" -gt "$n" ] && n=$k
        done
        n=$((n + 1))
        ln -s "$target" "$profile-$n-link"
        ln -sfn "$(basename "$profile")-$n-link" "$profile.tmp"
        mv -T "$profile.tmp" "$profile"
        """
    }
}

package struct StandInError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}

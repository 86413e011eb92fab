# The reconciler itself, as a Nix package and a NixOS module. From the repository root:
#
#   nix build .#reconciler          # or .#default: ./result/bin/reconciler
#
# In the homelab's system flake:
#
#   inputs.reconciler.url = "github:OWNER/REPO";     # this repository
#   modules = [ reconciler.nixosModules.default { services.homelab-reconciler.enable = true; } ];
#
# nixpkgs must have Swift 6.2 or newer (Package.swift's tools version); nixos-25.05's Swift is 5.10. The homelab's
# own system (nixos/flake.nix) keeps its nixpkgs: the package is built with this flake's. See docs/running.md.
{
  description = "reconciler: GitOps for a home server (NixOS plus one Docker Compose project per service)";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  };

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
      ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # Only the files the build reads: a change to services/ or docs/ does not rebuild the package.
      src = nixpkgs.lib.fileset.toSource {
        root = ./.;
        fileset = nixpkgs.lib.fileset.unions [
          ./Package.swift
          ./Sources
          ./Tests
          ./nixos/modules/reconciler.nix
          ./contrib/reconciler.service
        ];
      };
    in
    {
      packages = forAll (pkgs: rec {
        reconciler = pkgs.callPackage ./nix/package.nix { inherit src; };
        default = reconciler;
      });

      # pkgs.homelab-reconciler, the module's default package: this flake's build (its nixpkgs has Swift 6.2),
      # whatever nixpkgs the system itself uses.
      overlays.default = final: _prev: {
        homelab-reconciler = self.packages.${final.stdenv.hostPlatform.system}.reconciler;
      };

      # The module with its package defaulting to this flake's build for the host's system.
      nixosModules.reconciler =
        { lib, pkgs, ... }:
        {
          imports = [ ./nixos/modules/reconciler.nix ];
          services.homelab-reconciler.package = lib.mkDefault (
            self.packages.${pkgs.stdenv.hostPlatform.system}.reconciler or null
          );
        };
      nixosModules.default = self.nixosModules.reconciler;
    };
}

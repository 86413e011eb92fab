# Evaluates the root flake.nix and nix/package.nix without nixpkgs (which this build machine does not have), with
# the stand-in lib of stub-lib.nix and a stand-in stdenv.mkDerivation that returns its attributes: what the flake
# exposes, and the derivation's attributes, configure phase and fetches as nixpkgs would get them. A real
# `nix build .#reconciler` on a machine with nixpkgs remains the final word (docs/running.md). PackagingTests
# drives it, with `checkouts` a directory of <repo> source trees standing in for fetchFromGitHub's results:
#
#   nix-instantiate --eval --strict --json nix/tests/eval-package.nix --argstr checkouts /tmp/checkouts
{
  checkouts ? "/nonexistent",
}:
let
  lib = import ./stub-lib.nix;

  fetched = args: {
    inherit (args)
      owner
      repo
      tag
      hash
      ;
    outPath = "${checkouts}/${args.repo}";
  };

  pkgs = {
    inherit lib;
    stdenv = {
      mkDerivation = attrs: attrs // { type = "derivation"; };
      hostPlatform.system = "x86_64-linux";
    };
    fetchFromGitHub = fetched;
    swift = "swift";
    swiftpm = "swiftpm";
    pkg-config = "pkg-config";
    libgit2 = "libgit2";
    sqlite = "sqlite";
  };

  callPackage =
    fn: overrides:
    let
      f = import fn;
      wanted = builtins.functionArgs f;
    in
    f (builtins.intersectAttrs wanted pkgs // overrides);

  nixpkgs = {
    inherit lib;
    legacyPackages = lib.genAttrs [ "x86_64-linux" "aarch64-linux" ] (_: pkgs // { inherit callPackage; });
  };

  flake = import ../../flake.nix;
  outputs = flake.outputs {
    self = outputs;
    inherit nixpkgs;
  };
  package = outputs.packages.x86_64-linux.reconciler;
  overlaid = outputs.overlays.default {
    stdenv = pkgs.stdenv;
  } { };
in
{
  flakeInputs = builtins.mapAttrs (_: input: input.url) flake.inputs;
  packages = builtins.mapAttrs (_: builtins.attrNames) outputs.packages;
  defaultIsReconciler = outputs.packages.x86_64-linux.default == package;
  overlayIsReconciler = overlaid.homelab-reconciler == package;
  nixosModules = builtins.attrNames outputs.nixosModules;
  inherit (package)
    pname
    nativeBuildInputs
    buildInputs
    configurePhase
    installPhase
    swiftpmFlags
    dontUseSwiftpmInstall
    ;
  fetches = builtins.mapAttrs (_: source: {
    inherit (source)
      owner
      repo
      tag
      hash
      ;
  }) package.passthru.sources;
}

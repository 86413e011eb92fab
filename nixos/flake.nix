# The homelab's NixOS system. Built and switched to by the reconciler (`system.switch` in reconciler.json):
#   nixos-rebuild switch --flake ./nixos#homelab-hl15
# flake.lock is created by the operator on the server (`nix flake lock ./nixos`, see docs/setup.md) and committed.
{
  description = "homelab-hl15: users, groups, directories and Docker for the homelab's services";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    # The reconciler: the flake at this repository's root (its package is built with its own nixpkgs, which has
    # Swift 6.2). Its overlay gives pkgs.homelab-reconciler, the default package of modules/reconciler.nix.
    # A homelab repository without the reconciler's source uses "github:OWNER/REPO" of the reconciler instead.
    reconciler.url = "path:..";
  };

  outputs =
    {
      self,
      nixpkgs,
      reconciler,
      ...
    }:
    {
      nixosConfigurations.homelab-hl15 = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./configuration.nix
          { nixpkgs.overlays = [ reconciler.overlays.default ]; }
        ];
      };
    };
}

# The homelab's NixOS system. Built and switched to by the reconciler (`system.switch` in reconciler.json):
#   nixos-rebuild switch --flake ./nixos#homelab-hl15
# flake.lock is created by the operator on the server (`nix flake lock ./nixos`, see docs/setup.md) and committed.
{
  description = "homelab-hl15: users, groups, directories and Docker for the homelab's services";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  };

  outputs =
    { self, nixpkgs, ... }:
    {
      nixosConfigurations.homelab-hl15 = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./configuration.nix ];
      };
    };
}

# Every module of the homelab: Docker, the domain groups, one user per service, and the reconciler.
{ lib, ... }:
let
  # The reconciler's own NixOS module (the `reconciler run` daemon). It is imported when it is in the
  # repository and stays switched off here until the operator turns it on (docs/setup.md).
  reconcilerModule = ./reconciler.nix;
  hasReconciler = builtins.pathExists reconcilerModule;
in
{
  imports = [
    ./docker.nix
    ./services-root.nix

    ./groups/infrastructure/infrastructure.nix
    ./groups/media/media.nix
    ./groups/monitoring/monitoring.nix
    ./groups/selfhosting/selfhosting.nix

    ./services/gluetun/user.nix
    ./services/pihole/user.nix
    ./services/homepage/user.nix
    ./services/prowlarr/user.nix
    ./services/deluge/user.nix
    ./services/tdarr/user.nix
    ./services/profilarr/user.nix
    ./services/sonarr/user.nix
    ./services/radarr/user.nix
    ./services/overseerr/user.nix
    ./services/plex/user.nix
    ./services/alloy/user.nix
    ./services/loki/user.nix
    ./services/prometheus/user.nix
    ./services/grafana/user.nix
    ./services/immich/user.nix
    ./services/nextcloud/user.nix
  ] ++ (if hasReconciler then [ reconcilerModule ] else [ ]);

  config = lib.optionalAttrs hasReconciler {
    # Off until the operator enables it: set to true once the reconciler is installed (docs/setup.md).
    services.homelab-reconciler.enable = lib.mkDefault false;
  };
}

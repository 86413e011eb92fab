# homelab-hl15: the host. Services run in Docker (services/ of this repository); NixOS provides
# their users, groups and data directories (modules/), the admin account (users/) and Docker itself.
{ lib, pkgs, ... }:
let
  # Written by `nixos-generate-config` on the server and committed (docs/setup.md); optional here so the
  # flake evaluates before that.
  hardware = ./hardware-configuration.nix;
in
{
  imports = [
    ./modules
    ./users
  ] ++ (if builtins.pathExists hardware then [ hardware ] else [ ]);

  networking.hostName = "homelab-hl15";
  time.timeZone = "America/Los_Angeles";
  i18n.defaultLocale = "en_US.UTF-8";

  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  # ZFS pool "vault" holds media, downloads and photos (MEDIA_PATH, DOWNLOAD_PATH … in services/*/.env).
  boot.supportedFilesystems = [ "zfs" ];
  boot.zfs.extraPools = [ "vault" ];
  # ZFS needs a stable host id: `head -c 8 /etc/machine-id` on the server.
  networking.hostId = lib.mkDefault "8425e349";
  services.zfs.autoScrub.enable = true;
  services.zfs.autoSnapshot.enable = true;

  nix.settings.experimental-features = [
    "nix-command"
    "flakes"
  ];

  environment.systemPackages = with pkgs; [
    git
    gnumake
    curl
    htop
    vim
  ];

  # Ports the services publish on the LAN (see each services/<svc>/.env.example).
  networking.firewall = {
    enable = true;
    allowedTCPPorts = [
      53 # pihole DNS
      8053 # pihole web
      9696 # prowlarr (published by gluetun)
      8112 # deluge (published by gluetun)
      6881 # deluge peers (published by gluetun)
      8265 # tdarr web
      8266 # tdarr server
      6868 # profilarr
      8989 # sonarr/shows
      8990 # sonarr/anime
      7878 # radarr/movies
      7879 # radarr/anime
      5055 # overseerr
      32400 # plex
      3000 # grafana
      3080 # homepage
      2283 # immich
      8443 # nextcloud
    ];
    allowedUDPPorts = [
      53 # pihole DNS
      6881 # deluge peers
    ];
    # Containers reach the reconciler's /status and /metrics (port 9876) on the host through the Docker
    # bridges; the LAN does not (open 9876 here only to receive webhooks from a forge on the LAN).
    trustedInterfaces = [ "br-+" ];
  };

  system.stateVersion = "25.05";
}

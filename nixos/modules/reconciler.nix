# The reconciler as a NixOS service: `reconciler run` under systemd, after Docker and the network.
#
#   imports = [ ./modules/reconciler.nix ];
#   services.homelab-reconciler = {
#     enable = true;
#     package = pkgs.callPackage ../reconciler.nix { };   # or any derivation with bin/reconciler
#     repo = "/opt/homelab";
#     webhook.secretFile = "/var/lib/reconciler/webhook.secret";
#   };
#
# See docs/running.md.
{ config, lib, pkgs, ... }:

let
  cfg = config.services.homelab-reconciler;
in
{
  options.services.homelab-reconciler = {
    enable = lib.mkEnableOption "the homelab GitOps reconciler daemon (reconciler run)";

    package = lib.mkOption {
      type = lib.types.package;
      description = "A package providing bin/reconciler.";
    };

    repo = lib.mkOption {
      type = lib.types.str;
      default = "/opt/homelab";
      description = "The deploy clone the reconciler owns (its work tree is the deployed state).";
    };

    configFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      description = "Host-side configuration (--config); null uses /etc/reconciler/config.json when it exists.";
    };

    host = lib.mkOption {
      type = lib.types.str;
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = ''
        Which entry of reconciler.json's hosts this machine deploys (--host); ignored when there is no hosts.
        See docs/multi-host.md.
      '';
    };

    stateDir = lib.mkOption {
      type = lib.types.str;
      default = "/var/lib/reconciler";
      description = "State database, locks and the trigger socket. Under /var/lib it is managed by StateDirectory=.";
    };

    pollInterval = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      example = "60s";
      description = "Override reconciler.json's pollInterval.";
    };

    webhook = {
      listen = lib.mkOption {
        type = lib.types.str;
        default = "127.0.0.1:9876";
        description = "host:port for webhooks, /healthz, /status, /metrics and the status page.";
      };
      secretFile = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        description = ''
          File holding the webhook secret (mode 0600, owned by root), passed as --webhook-secret-file (it wins over
          webhook.secretFile in reconciler.json). The daemon refuses to start if it is missing, empty or readable by
          others. null: webhook.secretFile from the configuration, else webhooks off.
        '';
      };
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Open the webhook port in the firewall (only useful when listen is not a loopback address).";
    };
  };

  config = lib.mkIf cfg.enable {
    environment.systemPackages = [ cfg.package ];

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [
      (lib.toInt (lib.last (lib.splitString ":" cfg.webhook.listen)))
    ];

    systemd.services.homelab-reconciler = {
      description = "Homelab GitOps reconciler";
      wantedBy = [ "multi-user.target" ];
      after = [ "network-online.target" "docker.service" ];
      wants = [ "network-online.target" ];
      requires = [ "docker.service" ];
      # nixos-rebuild, docker compose, ssh (for git@ remotes) and curl (https notifications) on PATH.
      path = [ config.system.build.nixos-rebuild pkgs.docker pkgs.docker-compose pkgs.openssh pkgs.git pkgs.nix pkgs.curl ];
      environment = {
        RECONCILER_REPO = cfg.repo;
        RECONCILER_STATE_DIR = cfg.stateDir;
      };
      serviceConfig = {
        Type = "simple";
        ExecStart = lib.concatStringsSep " " (
          [ "${cfg.package}/bin/reconciler" "run" "--repo" cfg.repo "--state-dir" cfg.stateDir "--listen" cfg.webhook.listen ]
          ++ [ "--host" cfg.host ]
          ++ lib.optionals (cfg.configFile != null) [ "--config" "${cfg.configFile}" ]
          ++ lib.optionals (cfg.pollInterval != null) [ "--poll-interval" cfg.pollInterval ]
          ++ lib.optionals (cfg.webhook.secretFile != null) [ "--webhook-secret-file" cfg.webhook.secretFile ]
        );
        Restart = "on-failure";
        RestartSec = "10s";
        # SIGTERM to the daemon only: it lets the running step finish; compose children are not killed under it.
        KillMode = "mixed";
        TimeoutStopSec = "90s";
        StateDirectory = lib.mkIf (lib.hasPrefix "/var/lib/" cfg.stateDir) (lib.removePrefix "/var/lib/" cfg.stateDir);
        StateDirectoryMode = "0700";
        UMask = "0077";
        # Hardening that still lets it reach /run/docker.sock and run nixos-rebuild switch (which needs root, /nix,
        # /boot, /etc and systemd): no ProtectSystem/ProtectHome/PrivateDevices here on purpose.
        NoNewPrivileges = false;
        ProtectClock = true;
        ProtectHostname = false;
        ProtectKernelLogs = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = false;
        LockPersonality = true;
        RestrictAddressFamilies = [ "AF_UNIX" "AF_INET" "AF_INET6" "AF_NETLINK" ];
        SystemCallArchitectures = "native";
      };
    };
  };
}

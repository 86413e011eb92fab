# The reconciler as a NixOS service: `reconciler run` under systemd, after Docker and the network.
#
# With the reconciler's flake (the repository root's flake.nix) as an input of the system flake:
#
#   imports = [ reconciler.nixosModules.default ];   # this module, with `package` defaulting to the flake's
#   services.homelab-reconciler = {
#     enable = true;
#     repo = "/opt/homelab";
#     webhook.secretFile = "/var/lib/reconciler/webhook.secret";
#   };
#
# Imported on its own (as nixos/modules/default.nix does), `package` defaults to `pkgs.homelab-reconciler`, which
# the flake's overlay (overlays.default) provides; with neither, evaluation stops with an assertion saying so.
# Secret inputs (webhook.secretFile, auth.tokenFile, notify[].urlFile/tokenFile/secretFile, sops.ageKeyFile,
# forge.tokenFile) are strings naming files on the host: a Nix path would be copied into the world-readable store,
# so they are strings, and an assertion refuses one under /nix/store. See docs/running.md and docs/setup.md.
{
  config,
  lib,
  pkgs,
  ...
}:

let
  cfg = config.services.homelab-reconciler;
  inherit (lib) mkOption types;

  # A file the daemon reads at run time: a string, never a Nix path (which would enter the store).
  secretPath =
    description:
    mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/var/lib/reconciler/secret";
      description = "${description} A path on the host (mode 0600), never in the Nix store; null: not set.";
    };

  inStore = path: path != null && lib.hasPrefix "${builtins.storeDir}/" path;

  # The notification keys the module knows about; any other key of an entry goes to the JSON as it is.
  notifyType = types.submodule {
    freeformType = types.attrsOf types.anything;
    options = {
      kind = mkOption {
        type = types.str;
        example = "ntfy";
        description = "webhook, ntfy, discord, gotify or command (docs/configuration.md#notify).";
      };
      url = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "The URL, when it carries no token (it is written to the Nix store). Otherwise use urlFile.";
      };
      urlFile = secretPath "A file holding the URL (read at send time, masked): for URLs that carry a token.";
      tokenFile = secretPath "A file holding the notification's token (gotify, ntfy).";
      secretFile = secretPath "A file holding the key that signs a webhook notification.";
    };
  };

  # The secret inputs, by option name, for the store-path assertion.
  secretInputs = [
    {
      name = "webhook.secretFile";
      value = cfg.webhook.secretFile;
    }
    {
      name = "auth.tokenFile";
      value = cfg.auth.tokenFile;
    }
    {
      name = "auth.sshKey";
      value = cfg.auth.sshKey;
    }
    {
      name = "sops.ageKeyFile";
      value = cfg.sops.ageKeyFile;
    }
    {
      name = "forge.tokenFile";
      value = if cfg.forge == null then null else cfg.forge.tokenFile;
    }
  ]
  ++ lib.concatLists (
    lib.imap0 (
      index: entry:
      map
        (key: {
          name = "notify.${toString index}.${key}";
          value = entry.${key};
        })
        [
          "urlFile"
          "tokenFile"
          "secretFile"
        ]
    ) cfg.notify
  );

  # Unset keys are left out; so is the module system's own `_module` of a submodule's value.
  dropNulls = lib.filterAttrs (name: value: value != null && name != "_module");

  # The host-side configuration (--config): only paths and settings, never a secret's content, so it may live in
  # the store. Keys override reconciler.json's key by key (docs/configuration.md); the host-only ones live here.
  hostConfig =
    cfg.settings
    // lib.optionalAttrs (cfg.notify != [ ]) { notify = map dropNulls cfg.notify; }
    // lib.optionalAttrs (cfg.sops.ageKeyFile != null) { sops.ageKeyFile = cfg.sops.ageKeyFile; }
    // lib.optionalAttrs (cfg.forge != null) { forge = dropNulls cfg.forge; }
    // lib.optionalAttrs (cfg.auth.tokenFile != null || cfg.auth.sshKey != null) {
      auth = dropNulls cfg.auth;
    };

  generatedConfig = (pkgs.formats.json { }).generate "reconciler-host-config.json" hostConfig;

  configArg =
    if cfg.configFile != null then
      "${cfg.configFile}"
    else if hostConfig != { } then
      "${generatedConfig}"
    else
      null;

  listenPort =
    if cfg.webhook.listen == null then null else lib.toInt (lib.last (lib.splitString ":" cfg.webhook.listen));

  unitName = "homelab-reconciler";
in
{
  options.services.homelab-reconciler = {
    enable = lib.mkEnableOption "the homelab GitOps reconciler daemon (reconciler run)";

    package = mkOption {
      type = types.nullOr types.package;
      default = pkgs.homelab-reconciler or null;
      defaultText = lib.literalExpression "pkgs.homelab-reconciler (the reconciler flake's overlays.default), else null";
      description = ''
        A package providing bin/reconciler: the reconciler flake's `packages.''${system}.reconciler`. Importing
        `reconciler.nixosModules.default` sets it; so does adding `reconciler.overlays.default` to nixpkgs.overlays.
      '';
    };

    repo = mkOption {
      type = types.str;
      default = "/opt/homelab";
      description = "The deploy clone the reconciler owns (its work tree is the deployed state).";
    };

    configFile = mkOption {
      type = types.nullOr types.path;
      default = null;
      description = ''
        A host-side configuration file of your own (--config). null: the module writes one from settings, notify,
        auth, sops and forge when any is set, else /etc/reconciler/config.json is used when it exists.
      '';
    };

    settings = mkOption {
      type = types.attrsOf types.anything;
      default = { };
      example = lib.literalExpression ''{ allowRewrite = false; verify = { mode = "head"; allowedSigners = "/etc/reconciler/allowed_signers"; }; }'';
      description = "More keys of the host-side configuration, as reconciler.json spells them (docs/configuration.md).";
    };

    host = mkOption {
      type = types.str;
      default = config.networking.hostName;
      defaultText = lib.literalExpression "config.networking.hostName";
      description = ''
        Which entry of reconciler.json's hosts this machine deploys (--host); ignored when there is no hosts.
        See docs/multi-host.md.
      '';
    };

    stateDir = mkOption {
      type = types.str;
      default = "/var/lib/reconciler";
      description = "State database, locks and the trigger socket. Under /var/lib it is managed by StateDirectory=.";
    };

    pollInterval = mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "60s";
      description = "Override reconciler.json's pollInterval.";
    };

    webhook = {
      listen = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "127.0.0.1:9876";
        description = ''
          host:port for webhooks, /healthz, /status, /metrics and the status page (--listen). null: the
          repository's webhook.listen, else 127.0.0.1:9876.
        '';
      };
      secretFile = secretPath ''
        File holding the webhook secret (at least 16 bytes, owned by root), passed as --webhook-secret-file (it
        wins over webhook.secretFile in reconciler.json). The daemon refuses to start if it is missing, short or
        readable by others. null: webhook.secretFile from the configuration, else webhooks off.
      '';
    };

    auth = {
      tokenFile = secretPath "A file holding the HTTPS token for the git remote (auth.tokenFile).";
      tokenUser = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "The user name sent with auth.tokenFile (auth.tokenUser).";
      };
      sshKey = secretPath "The SSH private key for a git@ remote (auth.sshKey).";
      knownHosts = mkOption {
        type = types.nullOr types.str;
        default = null;
        description = "known_hosts file for the SSH remote (auth.knownHosts).";
      };
    };

    notify = mkOption {
      type = types.listOf notifyType;
      default = [ ];
      example = lib.literalExpression ''
        [ { kind = "discord"; urlFile = "/var/lib/reconciler/discord.url"; events = [ "failed" "degraded" ]; } ]
      '';
      description = ''
        Notifications (host-side: they replace the repository's notify list). A URL that carries a token goes in
        urlFile, a file on the host, never in url (which would be written to the Nix store).
      '';
    };

    sops.ageKeyFile = secretPath "The host's age identity (age-keygen format) that opens services/*/.env.sops.";

    forge = mkOption {
      type = types.nullOr (
        types.submodule {
          freeformType = types.attrsOf types.anything;
          options = {
            kind = mkOption {
              type = types.enum [
                "github"
                "gitea"
                "gitlab"
              ];
              description = "Which forge receives commit statuses.";
            };
            repository = mkOption {
              type = types.str;
              example = "you/homelab";
              description = "owner/name (GitLab: the project's id or path).";
            };
            apiURL = mkOption {
              type = types.nullOr types.str;
              default = null;
              description = "The API base URL (null: the forge's public one).";
            };
            tokenFile = secretPath "A file holding the forge token that sets commit statuses.";
          };
        }
      );
      default = null;
      description = "Commit statuses on the forge after each deployment (docs/forge.md).";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Open webhook.listen's port in the firewall (only useful when it is not a loopback address).";
    };
  };

  config = lib.mkIf cfg.enable {
    assertions = [
      {
        assertion = cfg.package != null;
        message = ''
          services.homelab-reconciler.package is not set. Import the reconciler flake's module
          (imports = [ reconciler.nixosModules.default ];), or add its overlay
          (nixpkgs.overlays = [ reconciler.overlays.default ];), or set
          services.homelab-reconciler.package = reconciler.packages.''${pkgs.system}.reconciler;
        '';
      }
      {
        assertion = !cfg.openFirewall || cfg.webhook.listen != null;
        message = "services.homelab-reconciler.openFirewall needs webhook.listen (host:port) to know the port.";
      }
    ]
    ++ map (input: {
      assertion = !(inStore input.value);
      message = ''
        services.homelab-reconciler.${input.name} is in the Nix store (${toString input.value}), which every user
        can read. Give the path of a root-only file on the host as a string, e.g. "/var/lib/reconciler/…".
      '';
    }) secretInputs;

    environment.systemPackages = lib.optional (cfg.package != null) cfg.package;

    networking.firewall.allowedTCPPorts = lib.optional (cfg.openFirewall && listenPort != null) listenPort;

    systemd.services.${unitName} = {
      description = "Homelab GitOps reconciler";
      wantedBy = [ "multi-user.target" ];
      # Docker is wanted, not required: Requires= would stop (or restart) the reconciler whenever docker.service
      # stops or restarts, e.g. in the very switch the reconciler is running, killing its own deploy half-way. An
      # engine that is down is an outage the daemon already handles: it records it, keeps polling and redeploys
      # when the engine answers again.
      wants = [
        "network-online.target"
        "docker.service"
      ];
      after = [
        "network-online.target"
        "docker.service"
      ];
      # A switch never restarts the daemon: it is usually the daemon's own nixos-rebuild, and a restart would kill
      # it mid-deploy. The daemon restarts itself instead (as comin does): after each poll it compares its unit
      # file (RECONCILER_UNIT_FILE) and its executable with what it started from and, when either changed, exits 0
      # once its state is written; Restart=always brings up the new one.
      restartIfChanged = false;
      # nixos-rebuild, docker compose, ssh (for git@ remotes) and curl (https notifications) on PATH.
      path = [
        config.system.build.nixos-rebuild
        pkgs.docker
        pkgs.docker-compose
        pkgs.openssh
        pkgs.git
        pkgs.nix
        pkgs.curl
      ];
      environment = {
        RECONCILER_REPO = cfg.repo;
        RECONCILER_STATE_DIR = cfg.stateDir;
        RECONCILER_UNIT_FILE = "/etc/systemd/system/${unitName}.service";
      };
      serviceConfig = {
        Type = "simple";
        ExecStart = lib.escapeShellArgs (
          [
            "${lib.getBin cfg.package}/bin/reconciler"
            "run"
            "--repo"
            cfg.repo
            "--state-dir"
            cfg.stateDir
            "--host"
            cfg.host
          ]
          ++ lib.optionals (cfg.webhook.listen != null) [
            "--listen"
            cfg.webhook.listen
          ]
          ++ lib.optionals (configArg != null) [
            "--config"
            configArg
          ]
          ++ lib.optionals (cfg.pollInterval != null) [
            "--poll-interval"
            cfg.pollInterval
          ]
          ++ lib.optionals (cfg.webhook.secretFile != null) [
            "--webhook-secret-file"
            cfg.webhook.secretFile
          ]
        );
        # always, not on-failure: the daemon's self-restart after a switch is a clean exit 0.
        Restart = "always";
        RestartSec = "10s";
        # SIGTERM to the daemon only: it lets the running step finish; compose children are not killed under it.
        KillMode = "mixed";
        TimeoutStopSec = "90s";
        # Room for the deploy's pipes and files under a flood of HTTP connections (the default 1024 ran out).
        LimitNOFILE = 65536;
        StateDirectory = lib.mkIf (lib.hasPrefix "/var/lib/" cfg.stateDir) (lib.removePrefix "/var/lib/" cfg.stateDir);
        StateDirectoryMode = "0700";
        # The ordinary umask, so the checkout gets git's 0644/0755 and a container running as its service's user can
        # read a committed config file it mounts. The daemon creates its state directory, scratch copies and
        # secrets with explicit private modes (0700/0600) itself.
        UMask = "0022";
        # Hardening that still lets it reach /run/docker.sock and run nixos-rebuild switch (which needs root, /nix,
        # /boot, /etc and systemd): no ProtectSystem/ProtectHome/PrivateDevices here on purpose.
        NoNewPrivileges = false;
        ProtectClock = true;
        ProtectHostname = false;
        ProtectKernelLogs = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = false;
        LockPersonality = true;
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
          "AF_NETLINK"
        ];
        SystemCallArchitectures = "native";
      };
    };
  };
}

# Evaluates nixos/modules/reconciler.nix without nixpkgs, which this build machine does not have: a small stand-in
# for the parts of nixpkgs' `lib` and module system the module uses (options with defaults, submodules, mkIf,
# assertions) and for `pkgs`. It answers what NixOS would make of the module for one configuration: the
# systemd service's attributes, the failing assertions' messages and the host-side config JSON (written with
# builtins.toFile, so run it with --read-write-mode). The stand-in is ours, not nixpkgs': a real evaluation on
# NixOS remains the final word (docs/running.md). PackagingTests drives it:
#
#   nix-instantiate --eval --strict --json --read-write-mode nix/tests/eval-module.nix \
#     --argstr settings '{"enable": true, "webhook": {"listen": "0.0.0.0:9876"}}' --arg withPackage true
{
  settings ? "{}",
  withPackage ? true,
}:
let
  user = builtins.fromJSON settings;

  lib = import ./stub-lib.nix;

  package = {
    type = "derivation";
    name = "reconciler-0.1.0";
    outPath = "/nix/store/00000000000000000000000000000000-reconciler-0.1.0";
  };

  pkgs = {
    system = "x86_64-linux";
    formats.json = _: {
      generate = name: value: builtins.toFile name (builtins.toJSON value);
    };
  }
  // builtins.listToAttrs (
    map
      (name: {
        inherit name;
        value = "/nix/store/00000000000000000000000000000000-${name}";
      })
      [
        "docker"
        "docker-compose"
        "openssh"
        "git"
        "nix"
        "curl"
      ]
  )
  // lib.optionalAttrs withPackage { homelab-reconciler = package; };

  # An option's value: the user's (checked against its type), else its default; submodules filled in likewise.
  fill =
    path: type: value:
    if !(type.check value) then
      throw "The option `services.homelab-reconciler.${path}' is not of type `${type.name}'."
    else if type.name == "nullOr" then
      (if value == null then null else fill path type.elemType value)
    else if type.name == "listOf" then
      lib.imap0 (index: fill "${path}.${toString index}" type.elemType) value
    else if type.name == "submodule" then
      value // options path type.options value
    else
      value;

  options =
    prefix: declared: given:
    builtins.mapAttrs (
      name: option:
      let
        path = if prefix == "" then name else "${prefix}.${name}";
      in
      if option._type or null == "option" then
        (
          if given ? ${name} then
            fill path option.type given.${name}
          else if option ? default then
            option.default
          else
            throw "The option `services.homelab-reconciler.${path}' is used but not defined."
        )
      else
        options path option (given.${name} or { })
    ) declared;

  config = {
    networking.hostName = "homelab-hl15";
    system.build.nixos-rebuild = "/nix/store/00000000000000000000000000000000-nixos-rebuild";
    services.homelab-reconciler = options "" module.options.services.homelab-reconciler user;
  };

  module = import ../../nixos/modules/reconciler.nix { inherit config lib pkgs; };

  result = if module.config.condition then module.config.content else { };
  service = result.systemd.services.homelab-reconciler or null;
in
{
  enabled = module.config.condition;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) (result.assertions or [ ]));
  # The unit as NixOS would write it, once no assertion failed (NixOS checks them before building anything).
  service =
    if service == null || builtins.any (a: !a.assertion) result.assertions then
      null
    else
      {
        inherit (service)
          wants
          after
          restartIfChanged
          environment
          ;
        requires = service.requires or [ ];
        serviceConfig = builtins.mapAttrs (
          _: value: if builtins.isAttrs value && value._type or null == "if" then (if value.condition then value.content else null) else value
        ) service.serviceConfig;
      };
  firewallPorts = result.networking.firewall.allowedTCPPorts or [ ];
  systemPackages = map (p: p.outPath) (result.environment.systemPackages or [ ]);
}

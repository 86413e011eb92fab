# admin: the operator. Logs in with an SSH key only, runs the reconciler and Docker (docker group),
# reads the services' files (their domain groups), and uses sudo for nixos-rebuild.
{ ... }:
{
  users.users.admin = {
    isNormalUser = true;
    description = "Homelab operator";
    extraGroups = [
      "wheel"
      "docker"
      "media"
      "monitoring"
      "infrastructure"
      "selfhosting"
    ];
    # No password: SSH keys are the only way in (users/default.nix turns password logins off).
    hashedPassword = "!";
    openssh.authorizedKeys.keys = [
      # Replace with your own public key(s): the content of ~/.ssh/id_ed25519.pub on your workstation.
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIReplaceWithYourOwnPublicKeyReplaceWithYourOwnKey admin@workstation"
    ];
  };

  # sudo without a password for wheel: admin has no password to type.
  security.sudo.wheelNeedsPassword = false;
}

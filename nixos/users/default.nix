# People's accounts on the server.
{ ... }:
{
  imports = [ ./admin.nix ];

  # Key-based SSH only: no passwords, no root login.
  services.openssh = {
    enable = true;
    settings = {
      PasswordAuthentication = false;
      KbdInteractiveAuthentication = false;
      PermitRootLogin = "no";
    };
  };

  # Accounts are defined here only; `passwd` on the server changes nothing lasting.
  users.mutableUsers = false;
}

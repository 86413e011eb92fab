# /var/lib/services: runtime data of every service, one directory per service (per instance for
# multi-instance services). Each services/<svc>/user.nix creates its own directory below it.
{ ... }:
{
  systemd.tmpfiles.rules = [
    "d /var/lib/services 0755 root root - -"
  ];
}

# pihole: DNS and ad blocking. Its system user: the uid is PUID in services/pihole/.env.example,
# the group (infrastructure) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.pihole = {
    isSystemUser = true;
    uid = 2202;
    group = "infrastructure";
    description = "pihole container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/pihole 0750 pihole infrastructure - -"
    "d /var/lib/services/pihole/etc-pihole 0750 pihole infrastructure - -"
  ];
}

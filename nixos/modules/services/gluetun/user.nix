# gluetun: VPN gateway. Its system user: the uid is PUID in services/gluetun/.env.example,
# the group (infrastructure) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.gluetun = {
    isSystemUser = true;
    uid = 2201;
    group = "infrastructure";
    description = "gluetun container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/gluetun 0750 gluetun infrastructure - -"
  ];
}

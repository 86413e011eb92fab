# loki: log aggregation. Its system user: the uid is PUID in services/loki/.env.example,
# the group (monitoring) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.loki = {
    isSystemUser = true;
    uid = 2102;
    group = "monitoring";
    description = "loki container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/loki 0750 loki monitoring - -"
  ];
}

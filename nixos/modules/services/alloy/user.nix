# alloy: telemetry collection. Its system user: the uid is PUID in services/alloy/.env.example,
# the group (monitoring) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.alloy = {
    isSystemUser = true;
    uid = 2101;
    group = "monitoring";
    description = "alloy container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/alloy 0750 alloy monitoring - -"
  ];
}

# prometheus: metrics. Its system user: the uid is PUID in services/prometheus/.env.example,
# the group (monitoring) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.prometheus = {
    isSystemUser = true;
    uid = 2103;
    group = "monitoring";
    description = "prometheus container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/prometheus 0750 prometheus monitoring - -"
  ];
}

# grafana: dashboards. Its system user: the uid is PUID in services/grafana/.env.example,
# the group (monitoring) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.grafana = {
    isSystemUser = true;
    uid = 2104;
    group = "monitoring";
    description = "grafana container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/grafana 0750 grafana monitoring - -"
  ];
}

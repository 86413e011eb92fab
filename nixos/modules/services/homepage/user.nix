# homepage: admin dashboard (its configuration is in the repository: services/homepage/config).
# Its system user: the uid is PUID in services/homepage/.env.example, the group (infrastructure) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.homepage = {
    isSystemUser = true;
    uid = 2203;
    group = "infrastructure";
    description = "homepage container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/homepage 0750 homepage infrastructure - -"
    "d /var/lib/services/homepage/icons 0750 homepage infrastructure - -"
  ];
}

# profilarr: quality profiles. Its system user: the uid is PUID in services/profilarr/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.profilarr = {
    isSystemUser = true;
    uid = 2004;
    group = "media";
    description = "profilarr container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/profilarr 0750 profilarr media - -"
  ];
}

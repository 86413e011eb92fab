# prowlarr: indexer manager. Its system user: the uid is PUID in services/prowlarr/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.prowlarr = {
    isSystemUser = true;
    uid = 2001;
    group = "media";
    description = "prowlarr container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/prowlarr 0750 prowlarr media - -"
  ];
}

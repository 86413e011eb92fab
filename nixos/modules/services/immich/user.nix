# immich: photos. Its system user: the uid is PUID in services/immich/.env.example,
# the group (selfhosting) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.immich = {
    isSystemUser = true;
    uid = 2301;
    group = "selfhosting";
    description = "immich container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/immich 0750 immich selfhosting - -"
    "d /var/lib/services/immich/postgres 0700 immich selfhosting - -"
    "d /var/lib/services/immich/model-cache 0750 immich selfhosting - -"
  ];
}

# nextcloud: file sync. Its system user: the uid is PUID in services/nextcloud/.env.example,
# the group (selfhosting) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.nextcloud = {
    isSystemUser = true;
    uid = 2302;
    group = "selfhosting";
    description = "nextcloud container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/nextcloud 0750 nextcloud selfhosting - -"
    "d /var/lib/services/nextcloud/config 0750 nextcloud selfhosting - -"
    "d /var/lib/services/nextcloud/mariadb 0750 nextcloud selfhosting - -"
  ];
}

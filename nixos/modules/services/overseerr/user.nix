# overseerr: media requests. Its system user: the uid is PUID in services/overseerr/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.overseerr = {
    isSystemUser = true;
    uid = 2009;
    group = "media";
    description = "overseerr container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/overseerr 0750 overseerr media - -"
  ];
}

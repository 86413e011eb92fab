# plex: media server. Its system user: the uid is PUID in services/plex/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.plex = {
    isSystemUser = true;
    uid = 2010;
    group = "media";
    description = "plex container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/plex 0750 plex media - -"
  ];
}

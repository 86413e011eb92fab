# tdarr: transcoding. Its system user: the uid is PUID in services/tdarr/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.tdarr = {
    isSystemUser = true;
    uid = 2003;
    group = "media";
    description = "tdarr container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/tdarr 0750 tdarr media - -"
    "d /var/lib/services/tdarr/server 0750 tdarr media - -"
    "d /var/lib/services/tdarr/configs 0750 tdarr media - -"
    "d /var/lib/services/tdarr/logs 0750 tdarr media - -"
  ];
}

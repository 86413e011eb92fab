# sonarr: TV series, one instance per library. One system user per instance; each uid is PUID in
# services/sonarr/<instance>/.env.example, the group (media) is PGID.
# A change to this file switches the system, then redeploys every instance.
{ ... }:
{
  users.users."sonarr-shows" = {
    isSystemUser = true;
    uid = 2005;
    group = "media";
    description = "sonarr/shows container user";
  };
  users.users."sonarr-anime" = {
    isSystemUser = true;
    uid = 2006;
    group = "media";
    description = "sonarr/anime container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/sonarr 0750 root media - -"
    "d /var/lib/services/sonarr/shows 0750 sonarr-shows media - -"
    "d /var/lib/services/sonarr/anime 0750 sonarr-anime media - -"
  ];
}

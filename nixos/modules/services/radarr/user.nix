# radarr: movies, one instance per library. One system user per instance; each uid is PUID in
# services/radarr/<instance>/.env.example, the group (media) is PGID.
# A change to this file switches the system, then redeploys every instance.
{ ... }:
{
  users.users."radarr-movies" = {
    isSystemUser = true;
    uid = 2007;
    group = "media";
    description = "radarr/movies container user";
  };
  users.users."radarr-anime" = {
    isSystemUser = true;
    uid = 2008;
    group = "media";
    description = "radarr/anime container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/radarr 0750 root media - -"
    "d /var/lib/services/radarr/movies 0750 radarr-movies media - -"
    "d /var/lib/services/radarr/anime 0750 radarr-anime media - -"
  ];
}

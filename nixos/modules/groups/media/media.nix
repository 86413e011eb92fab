# The media group (gid 2000): the primary group of the media pipeline: prowlarr, deluge, tdarr, profilarr, sonarr, radarr, overseerr and plex.
# It is PGID in their .env.example, so files they write are shared within the group.
{ ... }:
{
  users.groups.media.gid = 2000;
}

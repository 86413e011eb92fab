# The selfhosting group (gid 2300): the primary group of immich and nextcloud.
# It is PGID in their .env.example, so files they write are shared within the group.
{ ... }:
{
  users.groups.selfhosting.gid = 2300;
}

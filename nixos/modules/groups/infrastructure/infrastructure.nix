# The infrastructure group (gid 2200): the primary group of gluetun, pihole and homepage.
# It is PGID in their .env.example, so files they write are shared within the group.
{ ... }:
{
  users.groups.infrastructure.gid = 2200;
}

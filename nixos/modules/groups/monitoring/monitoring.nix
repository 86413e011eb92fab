# The monitoring group (gid 2100): the primary group of alloy, loki, prometheus and grafana.
# It is PGID in their .env.example, so files they write are shared within the group.
{ ... }:
{
  users.groups.monitoring.gid = 2100;
}

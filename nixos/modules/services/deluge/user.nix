# deluge: torrent client. Its system user: the uid is PUID in services/deluge/.env.example,
# the group (media) is PGID.
# A change to this file switches the system, then redeploys the service.
{ ... }:
{
  users.users.deluge = {
    isSystemUser = true;
    uid = 2002;
    group = "media";
    description = "deluge container user";
  };

  systemd.tmpfiles.rules = [
    "d /var/lib/services/deluge 0750 deluge media - -"
  ];
}

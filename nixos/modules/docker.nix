# Docker and the Compose plugin: every service of services/ runs as a Compose project.
{ pkgs, ... }:
{
  virtualisation.docker = {
    enable = true;
    enableOnBoot = true;
    # Weekly `docker system prune`; `make cleanup` does the same on demand.
    autoPrune = {
      enable = true;
      dates = "weekly";
    };
    daemon.settings = {
      log-driver = "json-file";
      log-opts = {
        max-size = "10m";
        max-file = "3";
      };
    };
  };

  environment.systemPackages = [ pkgs.docker-compose ];
}

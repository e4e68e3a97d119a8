# Settings every environment shares; the tasks pass this file before <env>.tfvars.

# The repository whose workflows deploy this platform (01-base's GitHub roles) and whose
# docs/runbooks the alerts link to.
github_repository = "acme/platform"

# Images built here, by name: the directory each is built from (`invoke build NAME`).
images = {
  "api-comments"  = "app"
  "ecs-discovery" = "infra/04-observability/discovery"
  "grafana"       = "infra/04-observability/grafana"
}

"""Which layers a change touches: what `--changed-from` plans and applies."""

from __future__ import annotations

import pytest

from ops.delivery.changes import affected_layers


@pytest.mark.parametrize(
    ("paths", "layers"),
    [
        (["infra/02-traefik/main.tf"], ["02-traefik"]),
        (["infra/04-observability/config/prometheus.yml.tftpl", "infra/01-base/vpc.tf"],
         ["01-base", "04-observability"]),  # apply order, whatever the diff order
        (["infra/modules/ecs-service/main.tf"], ["03-services"]),  # the layers that use the module
        # ... or a module that uses it: 03-services through ecs-service
        (["infra/modules/ecs-execution-role/main.tf"], ["02-traefik", "03-services", "04-observability"]),
        # an image's build context is the image's: no layer reads it
        (["infra/04-observability/discovery/src/ecs_discovery/cli.py"], []),
        (["infra/04-observability/grafana/dashboards/api-comments.json"], []),
        (["infra/environments/dev.tfvars"], ["01-base", "02-traefik", "03-services", "04-observability"]),
        (["infra/03-services/README.md", "app/src/api_comments/api.py"], []),  # no infrastructure
    ],
)  # fmt: skip
def test_affected_layers(paths: list[str], layers: list[str]) -> None:
    assert affected_layers(paths) == layers

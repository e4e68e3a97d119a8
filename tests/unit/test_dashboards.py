"""Grafana: provisioning and dashboards generated as code (no drift). Every Prometheus query of
every dashboard is run against the local platform's Prometheus in tests/e2e/served/test_observability.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ops import REPO
from ops.observability.dashboards import DASHBOARDS, DashboardDrift, queries, update

GRAFANA = REPO / "infra" / "04-observability" / "grafana"


def provisioned(kind: str) -> dict[str, Any]:
    (path,) = (GRAFANA / "provisioning" / kind).glob("*.yaml")
    return yaml.safe_load(path.read_text())  # type: ignore[no-any-return]


def test_committed_dashboards_match_the_code() -> None:
    assert update(check=True) == []
    assert {path.stem for path in DASHBOARDS.glob("*.json")} == {
        "api-comments-red", "api-comments-slo", "traefik", "ecs-services", "logs",
    }  # fmt: skip


def test_drift_is_reported_with_the_file_name(tmp_path: Path) -> None:
    update(directory=tmp_path)
    red = tmp_path / "api-comments-red.json"
    red.write_text(red.read_text().replace("Requests/s", "Requests per second"))
    drift = r"api-comments-red\.json: run `invoke observability\.dashboards`"
    with pytest.raises(DashboardDrift, match=drift):
        update(check=True, directory=tmp_path)


def test_datasources_have_pinned_uids_and_no_keys() -> None:
    sources = {source["uid"]: source for source in provisioned("datasources")["datasources"]}
    assert sources["prometheus"]["url"] == "$PROMETHEUS_URL"
    assert sources["cloudwatch"]["jsonData"]["authType"] == "default"  # the task role
    assert not any("secureJsonData" in source for source in sources.values())
    used = {query.uid for query in queries()}
    assert used == set(sources)


def test_the_dashboards_provider_reads_where_the_image_puts_them() -> None:
    (provider,) = provisioned("dashboards")["providers"]
    dockerfile = (GRAFANA / "Dockerfile").read_text()
    assert f"COPY --chown=472:0 dashboards {provider['options']['path']}" in dockerfile
    assert provider["allowUiUpdates"] is False  # dashboards change in code, not in the UI


def test_cloudwatch_panels_have_the_shape_grafana_needs() -> None:
    cloudwatch = [query for query in queries() if query.datasource == "cloudwatch"]
    assert {query.dashboard for query in cloudwatch} == {"ecs-services", "logs"}
    for query in cloudwatch:
        target = query.target
        if target["queryMode"] == "Metrics":
            assert target["namespace"] == "AWS/ECS"
            assert target["metricName"] in {"CPUUtilization", "MemoryUtilization"}
            assert set(target["dimensions"]) == {"ClusterName", "ServiceName"}
            assert target["statistic"] == "Average"
        else:
            assert target["queryMode"] == "Logs"
            assert target["logGroupNames"] in (["/ecs/$environment/$service"], ["/ecs/$environment/traefik"])
            assert target["expression"].strip()
            assert target["region"] == "default"

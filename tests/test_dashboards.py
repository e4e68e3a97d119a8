"""Grafana: provisioning, dashboards generated as code (no drift), and every Prometheus
query of every dashboard run against a real Prometheus scraping a real api-comments."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from ops import REPO
from ops.dashboards import DASHBOARDS, DashboardDrift, Query, queries, update
from ops.observability import render
from ops.ratelimit import from_terraform
from ops.server import BackgroundProcess, free_port, serve_in_background
from ops.terraform import INFRA, parse_hcl
from ops.tools import require

from .conftest import RedisServer

GRAFANA = REPO / "infra" / "04-observability" / "grafana"
# Traefik's metrics as 02-traefik configures them (its flags as written there).
METRICS_FLAGS = [
    flag for flag in parse_hcl((INFRA / "02-traefik" / "main.tf").read_text())["locals"][0]["traefik_flags"]
    if flag.startswith("--metrics")
]  # fmt: skip
SERVICE_METRICS = ("flask_", "comments_", "job:", "vector(")


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
    with pytest.raises(DashboardDrift, match=r"api-comments-red\.json: run `invoke dashboards`"):
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


@pytest.fixture
def prometheus_with_targets(tmp_path: Path) -> Iterator[tuple[str, str, RedisServer]]:
    """api-comments (Redis store) behind real Traefik (the version 02-traefik runs, its metrics
    flags), both scraped every second by a real Prometheus running the rendered configuration
    and rules; the URL requests go to is Traefik's, so both count them."""
    redis = RedisServer(tmp_path / "redis").start()
    api, api_url = serve_in_background(store=redis.url, log_path=tmp_path / "api.log")
    limit = from_terraform("api-comments")  # as 03-services limits it: the 429 panels have data
    rate_limit = {"average": limit.average, "period": limit.period, "burst": limit.burst}
    router = {
        "rule": "PathPrefix(`/`)",
        "entryPoints": ["web"],
        "service": "api-comments",
        "middlewares": ["limit"],
    }
    (tmp_path / "dynamic.yml").write_text(json.dumps({"http": {
        "routers": {"api-comments": router},
        "middlewares": {"limit": {"rateLimit": rate_limit}},
        "services": {"api-comments": {"loadBalancer": {"servers": [{"url": api_url}]}}},
    }}))  # fmt: skip
    web, metrics = free_port(), free_port()
    traefik = BackgroundProcess(
        [require("traefik"), f"--entrypoints.web.address=127.0.0.1:{web}",
         f"--entrypoints.metrics.address=127.0.0.1:{metrics}", *METRICS_FLAGS,
         f"--providers.file.filename={tmp_path / 'dynamic.yml'}", "--log.level=ERROR"],
        ready_url=f"http://127.0.0.1:{metrics}/metrics", log_path=tmp_path / "traefik.log",
    )  # fmt: skip

    rendered = render(tmp_path / "config")
    config = yaml.safe_load(rendered.prometheus.read_text())
    # Test-only: scrape and evaluate every second so a few seconds of load give rates.
    config["global"].update(scrape_interval="1s", evaluation_interval="1s", scrape_timeout="1s")
    rendered.prometheus.write_text(yaml.safe_dump(config))
    targets = [
        {
            "targets": [api_url.removeprefix("http://")],
            "labels": {"job": "api-comments", "ecs_service": "api-comments"},
        },
        {"targets": [f"127.0.0.1:{metrics}"], "labels": {"job": "traefik"}},
    ]
    (tmp_path / "config" / "targets" / "ecs.json").write_text(json.dumps(targets))

    port = free_port()
    argv = [require("prometheus"), f"--config.file={rendered.prometheus}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"]  # fmt: skip
    ready = f"http://127.0.0.1:{port}/-/ready"
    prometheus = BackgroundProcess(argv, ready_url=ready, log_path=tmp_path / "prometheus.log")
    with api, traefik, prometheus:
        yield f"http://127.0.0.1:{port}", f"http://127.0.0.1:{web}", redis
    redis.stop()


def load(api_url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        requests.post(f"{api_url}/api/comment/new", timeout=5,
                      json={"email": "load@example.com", "comment": "hello", "content_id": 7})  # fmt: skip
        requests.get(f"{api_url}/api/comment/list/7", timeout=5)
        requests.get(f"{api_url}/api/comment/list/424242", timeout=5)  # 404


def instant(prometheus: str, query: Query) -> list[dict[str, Any]]:
    expr = query.target["expr"].replace("$__rate_interval", "1m").replace("$router", ".*")
    answer = requests.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{query.dashboard} / {query.panel}: {answer}"
    return answer["data"]["result"]  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_every_prometheus_query_runs_and_api_comments_queries_return_data(
    prometheus_with_targets: tuple[str, str, RedisServer],
) -> None:
    prometheus, api_url, redis = prometheus_with_targets
    load(api_url, 6)
    redis.stop()  # the store goes away: api-comments answers 503 (5xx for the error panels)
    load(api_url, 4)
    redis.start()
    load(api_url, 3)
    time.sleep(3)  # a last scrape and rule evaluation

    targets = requests.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
    assert {t["labels"]["job"]: t["health"] for t in targets if t["labels"]["job"] != "prometheus"} == {
        "api-comments": "up", "traefik": "up",
    }  # fmt: skip
    prometheus_queries = [query for query in queries() if query.datasource == "prometheus"]
    assert len(prometheus_queries) >= 20
    empty = []
    for query in prometheus_queries:
        result = instant(prometheus, query)
        if not result:
            empty.append(f"{query.dashboard} / {query.panel}: {query.target['expr']}")
    assert empty == [], "queries without data:\n" + "\n".join(empty)
    statuses = {r["metric"]["status"] for r in instant(prometheus, next(
        q for q in prometheus_queries if q.panel == "Answers/s by status"))}  # fmt: skip
    assert {"200", "404", "503"} <= statuses

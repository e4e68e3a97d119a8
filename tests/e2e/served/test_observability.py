"""Observability that runs (issue 14): on the local platform, Prometheus finds its targets through
the ECS discovery sidecar, an outage of the comment store travels as an alert from api-comments
through Prometheus and Alertmanager to the receivers (the local recorder, ops/observability/receivers.py), the
Watchdog reaches the heartbeat, and every Prometheus query of every dashboard has data.

Prometheus and Alertmanager are reached as people reach them: through the private ALB and
Traefik's basic auth. local.tfvars shortens the layer's intervals (observability.intervals):
5 s scrapes, evaluations and discovery refreshes, 10 s between a group's notifications."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ops.observability.config import DEFAULTS
from ops.observability.dashboards import queries
from ops.terraform.layers import environment_settings
from ops.tools import require

from .conftest import Served, Traffic, wait_for_bucket

pytestmark = [pytest.mark.timeout(600), pytest.mark.xdist_group("platform")]
PROMETHEUS_HOST = "prometheus.internal.platform.localhost"
ALERTMANAGER_HOST = "alertmanager.internal.platform.localhost"
DISCOVERY_SECONDS = environment_settings("local")["observability"]["intervals"]["discovery"]
RUNBOOKS = DEFAULTS["runbook_url"]  # as 04-observability derives it from common.tfvars
API_PORT = 8000  # api-comments' container port (03-services)


def targets(served: Served) -> list[dict[str, Any]]:
    return served.internal(PROMETHEUS_HOST, "/api/v1/targets", state="active")["data"]["activeTargets"]  # type: ignore[no-any-return]


def query(served: Served, expr: str) -> list[dict[str, Any]]:
    answer = served.internal(PROMETHEUS_HOST, "/api/v1/query", query=expr)
    assert answer["status"] == "success", answer
    return answer["data"]["result"]  # type: ignore[no-any-return]


def received(served: Served, path: str = "", since: float = 0) -> list[dict[str, Any]]:
    """What the local receivers recorded (under ``path``, from ``since``, a Unix time)."""
    entries = requests.get(served.status()["receivers"], params={"path": path}, timeout=10).json()
    return [entry for entry in entries if entry["received"] >= since]


def task_targets(served: Served, job: str) -> dict[str, dict[str, Any]]:
    """Prometheus's targets of ``job``, by the ECS task id the sidecar labelled them with."""
    return {t["labels"]["ecs_task_id"]: t for t in targets(served) if t["labels"]["job"] == job}


def test_prometheus_scrapes_every_task_the_sidecar_discovers(served: Served) -> None:
    """Every api-comments and Traefik task is a target, up, at the address its task was given,
    labelled as the sidecar labels it; Prometheus scrapes itself."""
    tasks = {t["task"].rsplit("/", 1)[-1]: t for t in served.tasks("api-comments") + served.tasks("traefik")}

    def every_task_up() -> dict[str, dict[str, Any]] | None:
        found = {**task_targets(served, "api-comments"), **task_targets(served, "traefik")}
        up = {task_id: target for task_id, target in found.items() if target["health"] == "up"}
        return up if set(up) == set(tasks) else None

    found = served.wait(every_task_up, "every task a target, up", 30)
    for task_id, target in found.items():
        task, labels = tasks[task_id], target["labels"]
        assert labels["instance"].split(":")[0] == task["address"]
        assert labels["ecs_service"] == task["group"].removeprefix("service:") == labels["job"]
        assert labels["ecs_cluster"] == "local-platform"
        assert labels["ecs_task_definition_family"] == f"local-{labels['job']}"
    durations = [target["lastScrapeDuration"] for target in found.values()]
    print(f"{len(found)} targets discovered; scrape duration max {max(durations) * 1000:.1f} ms, "
          f"median {sorted(durations)[len(durations) // 2] * 1000:.1f} ms")  # fmt: skip
    assert {t["labels"]["job"] for t in targets(served)} == {"api-comments", "traefik", "prometheus"}


def scale(served: Served, count: int) -> None:
    ecs = served.platform.aws.client("ecs")
    ecs.update_service(cluster=served.status()["cluster"], service="api-comments", desiredCount=count)

    def healthy() -> bool:
        tasks = served.tasks("api-comments")
        return len(tasks) == count and all(t["health"] == "HEALTHY" for t in tasks)

    served.wait(healthy, f"{count} api-comments tasks", 60)


def test_a_new_task_is_scraped_within_two_refreshes_and_a_stopped_one_leaves(served: Served) -> None:
    before = set(task_targets(served, "api-comments"))
    assert len(before) == 2
    scale(served, 3)
    started = time.monotonic()
    (new,) = {t["task"].rsplit("/", 1)[-1] for t in served.tasks("api-comments")} - before
    served.wait(lambda: new in task_targets(served, "api-comments"), "a third target", 4 * DISCOVERY_SECONDS)
    appeared = time.monotonic() - started
    served.wait(lambda: task_targets(served, "api-comments")[new]["health"] == "up", "its first scrape", 30)
    scraped = time.monotonic() - started
    scale(served, 2)
    started = time.monotonic()
    gone = (before | {new}) - {t["task"].rsplit("/", 1)[-1] for t in served.tasks("api-comments")}
    assert len(gone) == 1
    served.wait(lambda: not gone & set(task_targets(served, "api-comments")), "the stopped task left",
                4 * DISCOVERY_SECONDS)  # fmt: skip
    left = time.monotonic() - started
    print(f"a new task a target {appeared:.1f} s after it was healthy, scraped after {scraped:.1f} s; "
          f"a stopped one gone in {left:.1f} s (sidecar refresh: {DISCOVERY_SECONDS} s)")  # fmt: skip
    assert appeared <= 2 * DISCOVERY_SECONDS + 1, "more than two refreshes"


def test_the_watchdog_reaches_the_heartbeat(served: Served) -> None:
    (beat, *_) = served.wait(lambda: received(served, "/heartbeat"), "a heartbeat", 90)
    (alert,) = beat["body"]["alerts"]
    assert alert["labels"]["alertname"] == "Watchdog"
    assert alert["status"] == "firing"
    assert alert["annotations"]["runbook_url"].endswith("/platform.md#watchdog")


def task_urls(served: Served) -> list[str]:
    """A request straight to each api-comments task: Traefik's breaker would answer for a failing
    service, and the alerts are about what the service answers."""
    addresses = [task["address"] for task in served.tasks("api-comments")]
    return [f"http://{address}:{API_PORT}/api/comment/list/1" for address in addresses]


@pytest.fixture
def heavy_load(served: Served) -> Iterator[None]:
    """wrk on every api-comments task: the successful requests that bring an error ratio down."""
    urls = [
        f"http://{task['address']}:{API_PORT}/api/comment/list/1" for task in served.tasks("api-comments")
    ]
    processes = [subprocess.Popen([require("wrk"), "-t1", "-c8", "-d600s", url], stdout=subprocess.DEVNULL)
                 for url in urls]  # fmt: skip
    yield
    for process in processes:
        process.terminate()
        process.wait(10)


def firing(served: Served, **labels: str) -> list[dict[str, Any]]:
    """Alertmanager's alerts with these labels (inhibited ones too)."""
    matchers = [f'{name}="{value}"' for name, value in labels.items()]
    return served.internal(ALERTMANAGER_HOST, "/api/v2/alerts", filter=matchers)  # type: ignore[no-any-return]


def test_a_store_outage_trips_traefiks_breaker_pages_with_its_runbook_and_resolves(
    served: Served, request: pytest.FixtureRequest
) -> None:
    """The store's primary stops under load (then is replaced on the same port, as ElastiCache
    replaces a node): the service answers its JSON 503 and Traefik's breaker trips and answers
    for it; the SLO's fast-burn alert (no `for:`, the first the rules fire on 5xx) reaches
    PagerDuty and Slack's critical channel with its runbook, and the slow-burn warning it comes
    with is inhibited; the store back, the resolved notifications come and the breaker closes."""
    if firing(served, service="api-comments", severity="critical"):  # an earlier outage's: let it resolve
        request.getfixturevalue("heavy_load")
        served.wait(
            lambda: not firing(served, service="api-comments", severity="critical"), "a quiet start", 240
        )
    wait_for_bucket()  # twenty users through Traefik, none limited
    stopped = time.time()
    served.stop_store()
    try:
        urls = itertools.cycle(task_urls(served))
        with Traffic(served, interval=1 / 20, send=lambda: requests.get(next(urls), timeout=5)) as load:
            users = [served.get("/api/comment/list/1") for _ in range(20)]
            pages = served.wait(lambda: received(served, "/pagerduty", since=stopped), "the page", 120)
        notified = time.time() - stopped
    finally:
        served.restore_store()
    restored = time.time()
    answers = Counter((user.status_code, "json" in user.headers.get("Content-Type", "")) for user in users)
    assert answers[(503, True)] > 0, answers  # the service's own
    assert answers[(503, False)] > 0, answers  # Traefik's breaker, answering for it
    assert set(answers) == {(503, True), (503, False)}, answers
    assert "CircuitBreaker(state=tripped" in served.traefik_log()
    page = pages[0]["body"]
    assert page["event_action"] == "trigger"
    assert page["routing_key"] == "local-routing-key"
    assert page["payload"]["summary"] == "api-comments burns its error budget fast: page"
    assert {"href": f"{RUNBOOKS}/slo.md#apicommentserrorbudgetburnfast", "text": "runbook"} in page["links"]
    slack = [e["body"] for e in received(served, "/slack", since=stopped)]
    critical = [m for m in slack if m["channel"] == "#alerts"]
    assert critical, slack
    assert critical[0]["attachments"][0]["title"].startswith(
        "[FIRING] api-comments burns its error budget fast"
    )
    assert f"{RUNBOOKS}/slo.md#apicommentserrorbudgetburnfast" in critical[0]["attachments"][0]["text"]
    # Inhibition: the warning fires too, and Alertmanager holds it back while the critical fires.
    (fast,) = firing(served, alertname="ApiCommentsErrorBudgetBurnFast")
    (warning,) = served.wait(
        lambda: firing(served, alertname="ApiCommentsErrorBudgetBurnSlow"), "the warning", 30
    )
    assert warning["status"]["inhibitedBy"] == [fast["fingerprint"]]
    assert not [m for m in slack if m["channel"] == "#alerts-tickets" and "api-comments" in json.dumps(m)]

    request.getfixturevalue("heavy_load")
    resolve = served.wait(
        lambda: [e for e in received(served, "/pagerduty", since=restored)
                 if e["body"]["event_action"] == "resolve" and e["body"]["dedup_key"] == page["dedup_key"]],
        "the resolved page", 240,
    )  # fmt: skip
    resolved = resolve[0]["received"] - restored
    told = [e["body"]["attachments"][0]["title"] for e in received(served, "/slack", since=restored)]
    slack_resolved = [
        title for title in told if title.startswith("[RESOLVED] api-comments burns its error budget fast")
    ]
    assert slack_resolved, "Slack's critical channel was not told"
    served.wait(lambda: served.get("/api/comment/list/1").status_code in (200, 404), "the breaker closes", 60)
    print(f"store stopped: paged after {notified:.1f} s ({dict(load.answers)} straight to the tasks); "
          f"store restored: resolved after {resolved:.1f} s")  # fmt: skip


def test_every_dashboard_query_has_data_from_the_local_platform(served: Served) -> None:
    """Every Prometheus query of every dashboard, over the last 5 minutes, has data from the
    platform's own Prometheus: answers of every kind through Traefik (201, 200, 404, 429) and
    the 503s of the outage above."""
    for index in range(30):  # beyond the burst of the rate limit: 429s
        served.post({"email": "dashboards@example.com", "comment": f"hello {index}", "content_id": 7})
        served.get("/api/comment/list/7")
        served.get("/api/comment/list/424242")
    prometheus_queries = [q for q in queries() if q.datasource == "prometheus"]
    assert len(prometheus_queries) >= 20
    empty = []
    for dashboard_query in prometheus_queries:
        expr = dashboard_query.target["expr"].replace("$__rate_interval", "5m").replace("$router", ".*")
        try:  # the next scrape and rule evaluation at most (5 s each) bring the last requests in
            served.wait(lambda expr=expr: query(served, expr), expr, 12)
        except AssertionError:
            empty.append(f"{dashboard_query.dashboard} / {dashboard_query.panel}: {expr}")
    assert empty == [], "queries without data:\n" + "\n".join(empty)
    by_status = next(q for q in prometheus_queries if q.panel == "Answers/s by status").target["expr"]
    statuses = {r["metric"]["status"] for r in query(served, by_status.replace("$__rate_interval", "5m"))}
    assert {"200", "404", "503"} <= statuses

"""api-comments as it runs in production: its server (Granian), several workers, real stores."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from ops.server import serve_in_background
from tests.conftest import RedisServer


@pytest.fixture
def server(store_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    process, base = serve_in_background(workers=2, store=store_url, log_path=tmp_path / "server.log")
    with process:
        yield base, tmp_path / "server.log"


def list_all(base: str, content_id: int) -> list[dict[str, str]]:
    """Every comment of a content id, following the cursor."""
    comments: list[dict[str, str]] = []
    url: str | None = f"{base}/api/comment/list/{content_id}"
    while url:
        response = requests.get(url, timeout=10)
        if response.status_code == 404:
            return comments
        response.raise_for_status()
        comments += response.json()
        link = response.headers.get("Link")
        url = base + link.split(">")[0].lstrip("<") if link else None
    return comments


def test_no_comment_is_lost_under_concurrent_writes(server: tuple[str, Path]) -> None:
    base, _ = server
    total, connections = 2000, 25
    local = threading.local()

    def send(n: int) -> int:
        if not hasattr(local, "session"):
            local.session = requests.Session()  # one keep-alive connection per thread
        response = local.session.post(
            f"{base}/api/comment/new",
            json={"email": f"writer{n}@example.com", "comment": f"comment number {n}", "content_id": 42},
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=connections) as pool:
        statuses = list(pool.map(send, range(total)))
    assert statuses.count(200) == total

    comments = [c["comment"] for c in list_all(base, 42)]
    assert len(comments) == total
    assert sorted(comments) == sorted(f"comment number {n}" for n in range(total))


def test_metrics_are_summed_across_workers(store_url: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    process, base = serve_in_background(workers=2, store=store_url, log_path=tmp_path / "server.log")
    process.env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    with process, ThreadPoolExecutor(max_workers=16) as pool:
        payload = {"email": "m@example.com", "comment": "counted", "content_id": 3}
        statuses = list(
            pool.map(
                lambda _: requests.post(f"{base}/api/comment/new", json=payload, timeout=10).status_code,
                range(200),
            )
        )
        assert statuses == [200] * 200
        list(pool.map(lambda _: requests.get(f"{base}/api/comment/list/404", timeout=10), range(50)))
        for _ in range(20):
            requests.get(f"{base}/health", timeout=5)
            requests.get(f"{base}/ready", timeout=5)

        workers_with_data = {path.name.rsplit("_", 1)[-1] for path in metrics_dir.glob("counter_*.db")}
        assert len(workers_with_data) >= 2, "both workers should have served requests"
        for _ in range(5):  # whichever worker answers the scrape, the totals are the same
            samples = {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(requests.get(f"{base}/metrics", timeout=5).text)
                for s in family.samples
            }
            assert samples[("comments_created_total", ())] == 200
            count = "flask_http_request_duration_seconds_count"
            post_key = (count, (("endpoint", "comments.new_comment"), ("method", "POST"), ("status", "200")))
            list_key = (count, (("endpoint", "comments.list_comments"), ("method", "GET"), ("status", "404")))
            assert samples[post_key] == 200
            assert samples[list_key] == 50
            bucket_labels = (
                ("endpoint", "comments.new_comment"),
                ("le", "+Inf"),
                ("method", "POST"),
                ("status", "200"),
            )
            assert samples[("flask_http_request_duration_seconds_bucket", bucket_labels)] == 200
            endpoints = {dict(labels).get("endpoint") for (_, labels) in samples}
            assert not endpoints & {"comments.health", "comments.ready", "prometheus_metrics"}


def test_logs_are_json_lines_with_the_request_id(server: tuple[str, Path]) -> None:
    base, log_path = server
    requests.get(f"{base}/api/comment/list/77", headers={"X-Request-ID": "trace-me-1"}, timeout=5)
    requests.post(f"{base}/api/comment/new", data="nope", headers={"Content-Type": "text/plain"}, timeout=5)
    time.sleep(0.2)
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]  # every line is JSON
    access = {line.get("request_id"): line for line in lines if "path" in line}
    assert access["trace-me-1"] | {"time": "-", "duration_ms": 0} == {
        "level": "INFO", "logger": "api_comments", "message": "GET /api/comment/list/77 404",
        "method": "GET", "path": "/api/comment/list/77", "status": 404, "request_id": "trace-me-1",
        "time": "-", "duration_ms": 0,
    }  # fmt: skip
    assert any(line["status"] == 415 for line in access.values())
    assert all("/health" not in line.get("path", "") for line in lines), "probes are logged at DEBUG only"


def test_redis_restart_while_writing_loses_no_acknowledged_comment(tmp_path: Path) -> None:
    redis_server = RedisServer(tmp_path / "redis").start()
    process, base = serve_in_background(workers=2, store=redis_server.url, log_path=tmp_path / "server.log")
    acknowledged: list[str] = []
    statuses: list[int] = []
    unexpected: list[str] = []  # checked in the test's thread: an assert in a writer would not fail it
    stop = threading.Event()

    def writer(worker: int) -> None:
        session, n = requests.Session(), 0
        while not stop.is_set():
            n += 1
            text = f"w{worker}-{n}"
            try:
                response = session.post(
                    f"{base}/api/comment/new",
                    json={"email": "outage@example.com", "comment": text, "content_id": 500},
                    timeout=10,
                )
            except requests.RequestException as exc:
                unexpected.append(f"{text}: {exc}")
                continue
            statuses.append(response.status_code)
            if response.status_code == 200:
                acknowledged.append(text)
                continue
            if response.status_code != 503 or response.json().get("status") != "SERVICE-UNAVAILABLE":
                unexpected.append(f"{text}: {response.status_code} {response.text[:200]}")
            time.sleep(0.02)

    with process:
        threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        redis_server.stop()
        time.sleep(0.3)
        ready_during_outage = requests.get(f"{base}/ready", timeout=5)
        time.sleep(0.7)
        acknowledged_before_restart = len(acknowledged)
        redis_server.start()
        time.sleep(1.5)
        stop.set()
        for thread in threads:
            thread.join()
        ready_after = requests.get(f"{base}/ready", timeout=5)
        stored = [c["comment"] for c in list_all(base, 500)]
    redis_server.stop()

    assert not unexpected, unexpected[:5]  # every answer a 200 or the JSON 503, never a dropped connection
    assert ready_during_outage.status_code == 503
    assert ready_during_outage.json()["status"] == "NOT-READY"
    assert ready_after.status_code == 200
    assert 503 in statuses, "the outage was seen by clients"
    assert len(acknowledged) > acknowledged_before_restart, "writes recovered after the restart"
    assert set(acknowledged) <= set(stored), f"lost: {sorted(set(acknowledged) - set(stored))[:10]}"


def test_the_server_stops_gracefully_on_sigterm(store_url: str, tmp_path: Path) -> None:
    process, _ = serve_in_background(workers=2, store=store_url, log_path=tmp_path / "server.log")
    process.start()
    process.stop()
    assert process.process is not None
    assert process.process.returncode == 0


def test_a_first_sigterm_drains_while_the_proxy_still_routes_here(tmp_path: Path) -> None:
    """With SERVER_DRAIN_SECONDS, the server answers for that long after SIGTERM (Traefik may
    still route to it until its next refresh), then stops gracefully."""
    process, base = serve_in_background(
        workers=1, store=f"sqlite:///{tmp_path / 'c.db'}", log_path=tmp_path / "server.log",
        settings={"SERVER_DRAIN_SECONDS": "3"},
    )  # fmt: skip
    process.start()
    assert process.process is not None
    stopped = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    served = 0
    while time.monotonic() - stopped < 2.5:
        served += requests.get(f"{base}/health", timeout=2).status_code == 200
        time.sleep(0.1)
    assert served >= 20  # every probe answered while draining
    assert process.process.wait(timeout=30) == 0
    assert time.monotonic() - stopped >= 3

"""Rate-limit probe: a fixed number of requests from one source, spread evenly over a
duration (0: as fast as the concurrency allows). Each request's send time and status go
to a JSON file, so `invoke perf.ratelimit-check` can predict from the real schedule.

Run by the task (`invoke perf.ratelimit-check`), or by hand:
    PROBE_REQUESTS=100 PROBE_DURATION=0.8 PROBE_OUTPUT=probe.json \
    locust -f loadtests/ratelimit_probe.py --headless -u 50 -r 1000 --host https://api-comments.example.com
"""

from __future__ import annotations

import itertools
import json
import os
import time
from typing import Any

import gevent
from locust import FastHttpUser, constant, task
from locust.exception import StopUser

REQUESTS = int(os.environ.get("PROBE_REQUESTS", "100"))
DURATION = float(os.environ.get("PROBE_DURATION", "0"))
PATH = os.environ.get("PROBE_PATH", "/api/comment/list/1")
OUTPUT = os.environ.get("PROBE_OUTPUT", "probe.json")
# The service's name when the host probed is an address (a local ALB): Traefik routes by Host.
HEADERS = {"Host": os.environ["PROBE_HOST_HEADER"]} if os.environ.get("PROBE_HOST_HEADER") else {}

_indices = itertools.count()
_start: list[float] = []
_results: list[dict[str, Any]] = []


class RateLimitProbe(FastHttpUser):
    """One of the concurrent connections of a single source."""

    wait_time = constant(0)

    @task
    def probe(self) -> None:
        index = next(_indices)
        if index >= REQUESTS:
            raise StopUser()
        if not _start:
            _start.append(time.monotonic())
        gevent.sleep(max(0.0, _start[0] + index * DURATION / REQUESTS - time.monotonic()))
        sent = time.monotonic() - _start[0]
        with self.client.get(PATH, name="probe", headers=HEADERS, catch_response=True) as response:
            # The service's 404 is JSON (an unknown id); Traefik's own, when no router matches the
            # request, is plain text and no answer of the service.
            content_type = (response.headers or {}).get("Content-Type", "")
            unrouted = response.status_code == 404 and "json" not in content_type
            if response.status_code in (200, 404, 429) and not unrouted:
                response.success()
        _results.append({
            "index": index,
            "sent": sent,
            "status": response.status_code,
            "unrouted": unrouted,
            "retry_after": response.headers.get("Retry-After") if response.headers else None,
        })  # fmt: skip
        if len(_results) == REQUESTS:
            with open(OUTPUT, "w") as handle:
                json.dump(sorted(_results, key=lambda r: r["index"]), handle)
            gevent.spawn(self.environment.runner.quit)
            raise StopUser()

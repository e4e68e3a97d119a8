"""Imported by the locustfiles: the run's final figures and its answers by status, written
as JSON when Locust quits (its CSV files can miss the last seconds). `invoke perf.loadtest`
reads that file for its table and thresholds."""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any

from locust import events

OUTPUT = os.environ.get("LOADTEST_SUMMARY")
statuses: Counter[str] = Counter()


@events.request.add_listener
def count_status(response: Any = None, exception: BaseException | None = None, **_: Any) -> None:
    code = getattr(response, "status_code", 0)
    statuses[str(code) if code else type(exception).__name__ if exception else "no answer"] += 1


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "method": entry.method or "",
        "name": entry.name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50_ms": entry.get_response_time_percentile(0.5),
        "p95_ms": entry.get_response_time_percentile(0.95),
        "p99_ms": entry.get_response_time_percentile(0.99),
    }


@events.quitting.add_listener
def write_summary(environment: Any, **_: Any) -> None:
    if OUTPUT:
        stats = environment.stats
        with open(OUTPUT, "w") as handle:
            json.dump({"total": _entry(stats.total),
                       "endpoints": [_entry(e) for e in stats.entries.values()],
                       "statuses": dict(statuses)}, handle)  # fmt: skip

"""Locust, headless, as a subprocess: the realistic mix with thresholds per profile, and the
rate-limit probe whose counts are held against the Traefik model (ops/perf/ratelimit.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ops import REPO, OpsError
from ops.perf.ratelimit import ProbeResult
from ops.tools import require

if TYPE_CHECKING:
    from ops.platform import Platform

LOADTESTS = REPO / "loadtests"
REPORTS = REPO / "reports"
PROFILES = LOADTESTS / "profiles.toml"


class LoadTestError(OpsError):
    """Locust did not produce results."""


@dataclass(frozen=True)
class Profile:
    name: str
    users: int
    spawn_rate: float
    run_time: str
    max_failure_ratio: float | None = None
    max_p95_ms: float | None = None
    max_p99_ms: float | None = None
    min_rps: float | None = None

    def overridden(self, users: int = 0, spawn_rate: float = 0, run_time: str = "") -> Profile:
        """The profile with what a command line sets (0 or empty: the profile's own)."""
        return dataclasses.replace(
            self,
            users=users or self.users,
            spawn_rate=spawn_rate or self.spawn_rate,
            run_time=run_time or self.run_time,
        )


def load_profile(name: str, path: Path = PROFILES) -> Profile:
    profiles = tomllib.loads(path.read_text())
    if name not in profiles:
        raise ValueError(f"unknown profile {name!r}: choose one of {', '.join(profiles)} ({path.name})")
    return Profile(name=name, **profiles[name])


@dataclass
class Endpoint:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def label(self) -> str:
        return f"{self.method} {self.name}".strip()


@dataclass
class Summary:
    total: Endpoint
    statuses: dict[str, int] = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)

    @property
    def failure_ratio(self) -> float:
        return self.total.failures / self.total.requests if self.total.requests else 1.0

    @property
    def rows(self) -> list[list[str]]:
        """One row per endpoint and one for the total: requests, failures, req/s, p50/p95/p99."""
        return [[e.label, str(e.requests), str(e.failures), f"{e.rps:.1f}", f"{e.p50_ms:.0f}",
                 f"{e.p95_ms:.0f}", f"{e.p99_ms:.0f}"] for e in [*self.endpoints, self.total]]  # fmt: skip


COLUMNS = ["endpoint", "requests", "failures", "req/s", "p50 ms", "p95 ms", "p99 ms"]


def report_dir(kind: str) -> Path:
    path = REPORTS / f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def locust(locustfile: Path, host: str, users: int, spawn_rate: float, run_time: str,
           out: Path, environ: dict[str, str] | None = None) -> None:  # fmt: skip
    """Run Locust headless with CSV and HTML reports in ``out``. Locust exits 1 when any request
    failed; thresholds decide here, so only a run without results is an error."""
    argv = [require("locust"), "-f", str(locustfile), "--headless", "--host", host,
            "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", run_time,
            "--csv", str(out / "locust"), "--html", str(out / "report.html"),
            "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"]  # fmt: skip
    with (out / "locust.log").open("w") as log:
        subprocess.run(argv, env={**os.environ, **(environ or {})}, stdout=log, stderr=subprocess.STDOUT,
                       check=False, cwd=REPO)  # fmt: skip
    if not (out / "locust_stats.csv").exists():
        raise LoadTestError(f"locust produced no results; see {out / 'locust.log'}")


def read_summary(out: Path) -> Summary:
    """The final figures the locustfile wrote when Locust quit (loadtests/reporting.py)."""
    path = out / "summary.json"
    if not path.exists():
        raise LoadTestError(f"locust wrote no summary; see {out / 'locust.log'}")
    data = json.loads(path.read_text())
    return Summary(
        total=Endpoint(**{**data["total"], "method": "", "name": "all"}),
        statuses=dict(sorted(data["statuses"].items())),
        endpoints=sorted((Endpoint(**e) for e in data["endpoints"]), key=lambda e: e.label),
    )


def broken_thresholds(profile: Profile, summary: Summary) -> list[str]:
    """Each threshold of the profile the run broke, in words."""
    broken = []
    if profile.max_failure_ratio is not None and summary.failure_ratio > profile.max_failure_ratio:
        broken.append(f"failure ratio {summary.failure_ratio:.4f} > {profile.max_failure_ratio}")
    total = summary.total
    if profile.max_p95_ms is not None and total.p95_ms > profile.max_p95_ms:
        broken.append(f"p95 {total.p95_ms:.0f} ms > {profile.max_p95_ms:.0f} ms")
    if profile.max_p99_ms is not None and total.p99_ms > profile.max_p99_ms:
        broken.append(f"p99 {total.p99_ms:.0f} ms > {profile.max_p99_ms:.0f} ms")
    if profile.min_rps is not None and total.rps < profile.min_rps:
        broken.append(f"{total.rps:.1f} requests/s < {profile.min_rps}")
    return broken


def run_mix(host: str, profile: Profile, out: Path) -> Summary:
    locust(LOADTESTS / "locustfile.py", host, profile.users, profile.spawn_rate, profile.run_time, out,
           {"LOADTEST_SUMMARY": str(out / "summary.json")})  # fmt: skip
    return read_summary(out)


def markdown(summary: Summary, profile: Profile, command: str) -> str:
    lines = [
        f"Measured with `{command}` (profile `{profile.name}`: {profile.users} users for "
        f"{profile.run_time}; Locust and api-comments on the same 2 cores, SQLite store).",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * (len(COLUMNS) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in summary.rows]
    lines += ["", "Answers by status: " + ", ".join(f"{k}: {v}" for k, v in summary.statuses.items()) + "."]
    return "\n".join(lines)


def run_probe(host: str, *, requests: int, concurrency: int, duration: float, path: str,
              out: Path, host_header: str = "") -> ProbeResult:  # fmt: skip
    """N requests from this one source over ``duration`` seconds, at most ``concurrency`` at once;
    with ``host_header``, sent to ``host`` under that name (a local ALB)."""
    output = out / "probe.json"
    locust(LOADTESTS / "ratelimit_probe.py", host, concurrency, 1000, f"{int(duration) + 60}s", out,
           {"PROBE_REQUESTS": str(requests), "PROBE_DURATION": str(duration), "PROBE_PATH": path,
            "PROBE_OUTPUT": str(output), "PROBE_HOST_HEADER": host_header})  # fmt: skip
    if not output.exists():
        raise LoadTestError(f"the probe did not finish its {requests} requests; see {out / 'locust.log'}")
    results = json.loads(output.read_text())
    served = [r for r in results if not r.get("unrouted")]
    return ProbeResult(
        [r["sent"] for r in results], Counter(int(r["status"]) for r in served), len(results) - len(served)
    )


@dataclass(frozen=True)
class Target:
    """Where a service is reached: its URL, or on the local platform the local ALB's address
    with the service's name as the Host header; and how many Traefik tasks run."""

    url: str
    host_header: str
    traefik_tasks: int


def deployed_target(platform: Platform, service: str) -> Target:
    """The service's public URL and the number of running Traefik tasks, from the layers'
    outputs and ECS: each Traefik task keeps its own buckets."""
    from ops.platform import outputs

    services = outputs(platform, "03-services")["services"]
    if service not in services:
        raise ValueError(f"unknown service {service!r}: 03-services runs {', '.join(sorted(services))}")
    target = services[service]
    traefik = outputs(platform, "02-traefik")["service_name"]
    ecs = platform.aws.client("ecs")
    (described,) = ecs.describe_services(cluster=target["cluster_arn"], services=[traefik])["services"]
    running = max(int(described["runningCount"]), 1)
    if platform.env == "local":  # served by the data plane: the local public ALB, by name
        return Target(f"http://127.0.0.1:{platform.settings.fronts.public}", target["host"], running)
    return Target(f"https://{target['host']}", "", running)

"""What the way in costs: requests per second and latency of api-comments on the local
platform reached directly, through real Traefik, and through the local ALB then Traefik, in
one run (interleaved rounds, medians), with the ratio of each to direct.

The service's own router is rate-limited (10 per 5 s), which would measure the limit, not the
path. So the benchmark runs one more task of the service's revision whose labels are the same
under another name and host, with the limit raised out of reach: the same middlewares
(buffering, circuit breaker, retry, a rate limit) at the same cost, on the same Traefik. It
needs the local platform up (`invoke up`) and stops its task afterwards.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ops import OpsError
from ops.aws import AwsContext
from ops.dataplane import Fronts, control, places, routes
from ops.perf.bench import WrkResult, run_wrk

NAME = "ingress-bench"
PATH = "/api/comment/list/1"


@dataclass(frozen=True)
class Way:
    label: str
    url: str
    host: str = ""


@dataclass(frozen=True)
class IngressReport:
    results: dict[str, WrkResult]
    connections: int
    seconds: int
    rounds: int

    def ratio(self, label: str, to: str = "direct") -> float:
        return self.results[label].requests_per_s / self.results[to].requests_per_s


def bench_labels(labels: dict[str, str], service: str, host: str) -> dict[str, str]:
    """The service's Traefik labels under another name and host, its rate limit out of reach."""
    renamed = {key.replace(f".{service}", f".{NAME}"): value for key, value in labels.items()
               if key.startswith("traefik.")}  # fmt: skip
    for key in list(renamed):
        if key.endswith((".middlewares", ".service")):  # names of its own middlewares and service
            renamed[key] = renamed[key].replace(service, NAME)
        elif key.endswith(".rule"):
            renamed[key] = f"Host(`{host}`)"
        elif key.endswith(".ratelimit.average") or key.endswith(".ratelimit.burst"):
            renamed[key] = "1000000"
        elif key.endswith(".ratelimit.period"):
            renamed[key] = "1s"
    return renamed


@contextmanager
def bench_task(
    aws: AwsContext, service: str, domain: str, status: Callable[[], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """One task of the service's revision with bench labels, run by the data plane; its entry
    in the data plane's status."""
    ecs = aws.client("ecs")
    cluster = status()["cluster"]
    (described,) = ecs.describe_services(cluster=cluster, services=[service])["services"]
    definition = ecs.describe_task_definition(taskDefinition=described["taskDefinition"])["taskDefinition"]
    (container,) = [c for c in definition["containerDefinitions"] if c["name"] == service]
    keep = ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory")
    labels = bench_labels(container.get("dockerLabels") or {}, service, f"{NAME}.{domain}")
    shape = {key: definition[key] for key in keep if key in definition}
    revision = ecs.register_task_definition(
        family=f"{definition['family']}-{NAME}", containerDefinitions=[{**container, "dockerLabels": labels}],
        **shape,
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    (task,) = ecs.run_task(cluster=cluster, taskDefinition=revision, launchType="FARGATE",
                           networkConfiguration=described["networkConfiguration"])["tasks"]  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            local = [t for t in status().get("tasks", []) if t["task"] == task["taskArn"]]
            if local and local[0]["health"] == "HEALTHY":
                yield local[0]
                return
            time.sleep(1)
        raise OpsError(f"the benchmark's task did not become healthy within 60 s: {status()}")
    finally:
        ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="benchmark done")
        ecs.deregister_task_definition(taskDefinition=revision)


def _median(results: list[WrkResult]) -> WrkResult:
    return WrkResult(
        statistics.median(r.requests_per_s for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        sum(r.requests for r in results),
        sum(r.errors for r in results),
    )


def run_ingress_benchmark(
    aws: AwsContext, fronts: Fronts, domain: str, *, connections: int = 50, seconds: int = 10,
    rounds: int = 3, service: str = "api-comments", progress: Callable[[str], None] = print,
) -> IngressReport:  # fmt: skip
    host = f"{NAME}.{domain}"
    with bench_task(aws, service, domain, control.status) as task:
        traefik = next(t for t in control.status()["tasks"] if t["group"] == "service:traefik")
        paths = [
            Way("direct", f"http://{task['address']}:8000{PATH}"),
            Way("Traefik", f"http://{traefik['address']}:{places.host_port(80)}{PATH}", host),
            Way("local ALB, then Traefik", f"http://127.0.0.1:{fronts.public}{PATH}", host),
        ]
        route, deadline = routes.Route(NAME, service, host, fronts.public), time.monotonic() + 60
        while not route.served():  # Traefik's ECS provider refreshes every 15 s
            if time.monotonic() > deadline:
                raise OpsError(f"Traefik did not route {host} within 60 s")
            time.sleep(1)
        runs: dict[str, list[WrkResult]] = {path.label: [] for path in paths}
        for round_ in range(1, rounds + 1):
            for path in paths:
                progress(f"[ingress bench] round {round_}/{rounds}: {path.label}")
                runs[path.label].append(
                    run_wrk(path.url, connections=connections, seconds=seconds, host=path.host)
                )
    return IngressReport(
        {label: _median(results) for label, results in runs.items()}, connections, seconds, rounds
    )


def markdown(report: IngressReport, command: str) -> str:
    rows = ["| path | requests/s | p50 ms | p99 ms | errors | requests/s against direct |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for label, result in report.results.items():
        rows.append(f"| {label} | {result.requests_per_s:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} | "
                    f"{result.errors} | {report.ratio(label):.2f}x |")  # fmt: skip
    return "\n".join([
        f"Measured with `{command}`: {report.connections} connections, {report.rounds} interleaved rounds of "
        f"{report.seconds} s per path, medians; `GET {PATH}`; every process on this machine's cores.",
        "",
        *rows,
    ])  # fmt: skip

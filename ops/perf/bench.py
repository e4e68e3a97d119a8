"""HTTP benchmark of api-comments against the design it replaces, side by side in one run.

Servers, each loaded with wrk in interleaved rounds (medians reported, as these machines
are noisy): the ceiling (a minimal WSGI app on api-comments' server), the original design
(ops/perf/original.py) as it was deployed (gunicorn, one sync worker, DEBUG text logs) and on
api-comments' own server settings, and api-comments with each store. The targets (issue 16)
are ratios between rows of the same run. `--flamegraphs` records each scenario's server with
py-spy into docs/flamegraphs/.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from ops import REPO
from ops.server import BackgroundProcess, free_port, serve_in_background
from ops.terraform.layers import INFRA, module_call
from ops.tools import require

CEILING_APP = "ops.perf.bench:ceiling_app"
ORIGINAL_APP = "ops.perf.original:app"
FLAMEGRAPHS = REPO / "docs" / "flamegraphs"

POST_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    '{"email":"bench%d@example.com","comment":"benchmark comment %d","content_id":%d}',
    counter, counter, 1000 + counter % 100)
  return wrk.format(nil, "/api/comment/new", nil, body)
end
"""


def ceiling_app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    """The smallest useful WSGI app: a fixed JSON body."""
    body = b'[{"email":"alice@example.com","comment":"first post!"}]'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> WrkResult:
    """Read requests/s, p50, p99 and error counts from ``wrk --latency`` output."""

    def find(pattern: str) -> str:
        match = re.search(pattern, output)
        if not match:
            raise ValueError(f"wrk output has no match for {pattern!r}:\n{output}")
        return match.group(1)

    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests_per_s=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\s50%\s+([\d.]+\w+)")),
        p99_ms=_ms(find(r"\s99%\s+([\d.]+\w+)")),
        requests=int(find(r"(\d+) requests in")),
        errors=errors + (int(non_2xx.group(1)) if non_2xx else 0),
    )


def run_wrk(
    url: str, *, connections: int, seconds: int, script: Path | None = None, cores: str | None = None,
    host: str = "",
) -> WrkResult:  # fmt: skip
    """wrk against ``url`` (with ``host``, under that Host header, as a name-routed proxy needs)."""
    argv = [require("wrk"), "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if script:
        argv[1:1] = ["-s", str(script)]
    if host:
        argv[1:1] = ["-H", f"Host: {host}"]
    return parse_wrk(subprocess.run(pinned(argv, cores), check=True, capture_output=True, text=True).stdout)


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str
    path: str
    post: bool = False


SERVERS = {
    "ceiling": "ceiling (minimal WSGI app)",
    "deployed": "original, as deployed",
    "original": "original, api-comments' server",
    "sqlite": "api-comments, SQLite",
    "logged": "api-comments, SQLite, own access log",
    "redis": "api-comments, Redis",
}
SCENARIOS = [Scenario(SERVERS["ceiling"], "ceiling", "/")] + [
    Scenario(f"{label}, {verb}", server, path, post=verb == "POST new")
    for server, label in SERVERS.items()
    if server != "ceiling"
    for verb, path in (("GET list", "/api/comment/list/1"), ("POST new", "/"))
]


@dataclass(frozen=True)
class BenchReport:
    connections: int
    seconds: int
    rounds: int
    task: Task
    medians: dict[str, WrkResult]

    def rate(self, server: str, verb: str) -> float:
        return self.medians[f"{SERVERS[server]}, {verb}"].requests_per_s

    def p99(self, server: str, verb: str) -> float:
        return self.medians[f"{SERVERS[server]}, {verb}"].p99_ms

    def verdicts(self) -> dict[str, bool]:
        """Issue 16's targets, each a comparison within this run."""
        verdicts = {}
        for verb in ("GET list", "POST new"):
            ours, deployed = self.rate("sqlite", verb), self.rate("deployed", verb)
            original = self.rate("original", verb)
            verdicts[f"{verb}: >= 1.5x the original as deployed ({ours / deployed:.2f}x)"] = (
                ours >= 1.5 * deployed
            )
            verdicts[f"{verb}: >= 0.8x the original on our server ({ours / original:.2f}x)"] = (
                ours >= 0.8 * original
            )
            p99, limit = self.p99("sqlite", verb), self.p99("deployed", verb)
            verdicts[f"{verb}: p99 {p99:.1f} ms <= the original's as deployed ({limit:.1f} ms)"] = (
                p99 <= limit
            )
            redis = self.rate("redis", verb) / ours
            verdicts[f"{verb}: Redis within 15 % of SQLite ({redis:.2f}x)"] = redis >= 0.85
        return verdicts


def _median_result(results: list[WrkResult]) -> WrkResult:
    return WrkResult(
        requests_per_s=statistics.median(r.requests_per_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


@contextmanager
def _redis_server(work: Path, cores: str | None) -> Iterator[str]:
    """A plain local redis-server (no persistence) for the Redis store's rows."""
    import redis

    port = free_port()
    argv = [
        require("redis-server"),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    process = subprocess.Popen(pinned(argv, cores), stdout=subprocess.DEVNULL, cwd=work)
    try:
        for _ in range(100):
            try:
                if redis.Redis(port=port).ping():
                    break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass(frozen=True)
class Task:
    """What 03-services gives api-comments' tasks, as written there: its vCPUs (cpu / 1024)
    and its environment. api-comments is measured as it runs on ECS."""

    vcpus: int
    environment: dict[str, str]

    def cores(self) -> tuple[str, str | None]:
        """The cores the servers get (the task's vCPUs) and the rest, for wrk and Redis, which
        on AWS run elsewhere; without a core to spare nothing is pinned (None)."""
        available = sorted(os.sched_getaffinity(0))
        if len(available) <= self.vcpus:
            return ",".join(map(str, available)), None
        ours, rest = available[: self.vcpus], available[self.vcpus :]
        return ",".join(map(str, ours)), ",".join(map(str, rest))


def task_settings(service: str = "api-comments") -> Task:
    call = module_call(service, INFRA / "03-services")
    if call is None:
        raise ValueError(f"no module {service!r} in 03-services")
    arguments = call[1]
    environment = {name: str(value) for name, value in arguments.get("environment_variables", {}).items()}
    return Task(max(1, int(arguments.get("cpu", 256)) // 1024), environment)


def pinned(argv: list[str], cores: str | None) -> list[str]:
    return [require("taskset"), "--cpu-list", cores, *argv] if cores else argv


def _servers(stack: ExitStack, work: Path, task: Task) -> dict[str, tuple[BackgroundProcess, str]]:
    """Every server on the task's cores, with the task's server settings (the original as
    deployed keeps its gunicorn sync worker); Redis on the other cores."""
    ours, rest = task.cores()
    port = free_port()
    deployed = BackgroundProcess(
        pinned([require("gunicorn"), "--workers", "1", "--worker-class", "sync", "--log-level", "debug",
                "--bind", f"127.0.0.1:{port}", ORIGINAL_APP], ours),
        ready_url=f"http://127.0.0.1:{port}/health", log_path=work / "deployed.log",
    )  # fmt: skip
    redis_url = stack.enter_context(_redis_server(work, rest))
    server = {name: value for name, value in task.environment.items() if name.startswith("SERVER_")}

    def granian(
        name: str, settings: dict[str, str], *, store: str | None = None, wsgi_app: str | None = None
    ) -> tuple[BackgroundProcess, str]:
        process, base = serve_in_background(
            store=store, wsgi_app=wsgi_app, log_path=work / f"{name}.log", settings=settings
        )
        process.argv = pinned(process.argv, ours)
        return process, base

    servers = {
        "ceiling": granian("ceiling", server, wsgi_app=CEILING_APP),
        "deployed": (deployed, f"http://127.0.0.1:{port}"),
        "original": granian("original", server, wsgi_app=ORIGINAL_APP),
        "sqlite": granian("sqlite", task.environment, store=f"sqlite:///{work / 'c.db'}"),
        "logged": granian("logged", {**task.environment, "API_COMMENTS_ACCESS_LOG": "true"},
                          store=f"sqlite:///{work / 'l.db'}"),
        "redis": granian("redis", task.environment, store=redis_url),
    }  # fmt: skip
    for process, _ in servers.values():
        stack.enter_context(process)
    for name in ("sqlite", "logged", "redis"):  # a listing of realistic size: 20 comments
        for n in range(20):
            comment = {"email": f"reader{n}@example.com", "comment": f"comment {n}", "content_id": 1}
            requests.post(f"{servers[name][1]}/api/comment/new", json=comment, timeout=5).raise_for_status()
    return servers


def _record(pid: int, seconds: int, target: Path) -> subprocess.Popen[bytes]:
    """py-spy on a running server and its workers, as a flame graph."""
    target.parent.mkdir(parents=True, exist_ok=True)
    argv = [require("py-spy"), "record", "--pid", str(pid), "--subprocesses", "--duration", str(seconds),
            "--rate", "200", "--format", "flamegraph", "--output", str(target)]  # fmt: skip
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def run_benchmark(
    *,
    connections: int = 50,
    seconds: int = 5,
    rounds: int = 3,
    flamegraphs: bool = False,
    progress: Callable[[str], None] = print,
) -> BenchReport:
    """Start every server, then load each scenario once per round, interleaved."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, ExitStack() as stack:
        work = Path(tmp)
        script = work / "post.lua"
        script.write_text(POST_SCRIPT)
        task = task_settings()
        servers = _servers(stack, work, task)
        load_cores = task.cores()[1]

        def load(scenario: Scenario, duration: int) -> WrkResult:
            url = servers[scenario.server][1] + scenario.path
            script_path = script if scenario.post else None
            return run_wrk(
                url, connections=connections, seconds=duration, script=script_path, cores=load_cores
            )

        for scenario in SCENARIOS:  # warm-up: imports, connections, page cache
            load(scenario, 1)
        runs: dict[str, list[WrkResult]] = {s.name: [] for s in SCENARIOS}
        for round_no in range(1, rounds + 1):
            for scenario in SCENARIOS:
                progress(
                    f"round {round_no}/{rounds}: {scenario.name} ({seconds} s, {connections} connections)"
                )
                runs[scenario.name].append(load(scenario, seconds))
        if flamegraphs:
            for scenario in SCENARIOS:
                progress(f"flame graph: {scenario.name}")
                pid = servers[scenario.server][0].pid
                recorder = _record(pid, seconds, FLAMEGRAPHS / f"{slug(scenario.name)}.svg")
                load(scenario, seconds)
                recorder.wait(timeout=60)
    medians = {name: _median_result(results) for name, results in runs.items()}
    return BenchReport(connections, seconds, rounds, task, medians)


def markdown(report: BenchReport, command: str, flamegraphs: bool = False) -> str:
    ceiling = report.medians[SCENARIOS[0].name].requests_per_s
    rows = [
        "| scenario | req/s (median) | p50 ms | p99 ms | errors | ratio to ceiling |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario in SCENARIOS:
        result = report.medians[scenario.name]
        name = f"[{scenario.name}](flamegraphs/{slug(scenario.name)}.svg)" if flamegraphs else scenario.name
        rows.append(
            f"| {name} | {result.requests_per_s:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {result.errors} | {result.requests_per_s / ceiling:.2f} |"
        )
    verdicts = "\n".join(
        f"- {'met' if ok else 'NOT met'}: {target}" for target, ok in report.verdicts().items()
    )
    task = report.task
    settings = ", ".join(f"`{name}={value}`" for name, value in task.environment.items())
    ours, rest = task.cores()
    if rest:
        cores = f"every server on core(s) {ours} ({task.vcpus} vCPU, as the task has), the load on {rest}"
    else:
        cores = f"no core to spare for pinning: servers and wrk share {ours}"
    return (
        f"Command: `{command}`; {report.rounds} interleaved rounds of {report.seconds} s each, "
        f"{report.connections} connections, {cores}. api-comments runs with the environment "
        f"03-services gives its tasks ({settings}); the ceiling and the original on api-comments' "
        "server with its `SERVER_*` settings; the original as deployed on gunicorn, 1 sync worker, "
        "DEBUG text logs.\n\n" + "\n".join(rows) + "\n\n" + verdicts + "\n"
    )

"""HTTP benchmark of api-comments against the ceiling of the Python HTTP stack here.

The ceiling is a minimal WSGI app served by the same server settings, so the ratio
says how much of the stack's capacity the service keeps; absolute figures move with
the machine, ratios much less. Scenarios are interleaved round by round and medians
reported, because these machines are noisy.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import requests

from .server import serve_in_background
from .tools import require

CEILING_APP = "ops.bench:ceiling_app"
TARGETS = {"get_ratio": 0.6, "post_ratio": 0.4, "p99_ms": 25.0}

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


def run_wrk(url: str, *, connections: int, seconds: int, script: Path | None = None) -> WrkResult:
    argv = [require("wrk"), "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", url]
    if script:
        argv[1:1] = ["-s", str(script)]
    return parse_wrk(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


@dataclass(frozen=True)
class Scenario:
    name: str
    server: str  # "api" or "ceiling"
    path: str
    script: Path | None = None


@dataclass(frozen=True)
class BenchReport:
    connections: int
    seconds: int
    rounds: int
    workers: int
    medians: dict[str, WrkResult]

    @property
    def get_ratio(self) -> float:
        return self.medians["GET list"].requests_per_s / self.medians["ceiling"].requests_per_s

    @property
    def post_ratio(self) -> float:
        return self.medians["POST new"].requests_per_s / self.medians["ceiling"].requests_per_s

    def verdicts(self) -> dict[str, bool]:
        worst_p99 = max(self.medians["GET list"].p99_ms, self.medians["POST new"].p99_ms)
        return {
            f"GET >= {TARGETS['get_ratio']} of ceiling": self.get_ratio >= TARGETS["get_ratio"],
            f"POST >= {TARGETS['post_ratio']} of ceiling": self.post_ratio >= TARGETS["post_ratio"],
            f"p99 <= {TARGETS['p99_ms']:.0f} ms": worst_p99 <= TARGETS["p99_ms"],
        }


def _median_result(results: list[WrkResult]) -> WrkResult:
    return WrkResult(
        requests_per_s=statistics.median(r.requests_per_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=statistics.median(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


def run_benchmark(
    *,
    connections: int = 50,
    seconds: int = 5,
    rounds: int = 3,
    workers: int = 2,
    progress: Callable[[str], None] = print,
) -> BenchReport:
    """Serve api-comments (embedded store) and the ceiling app side by side and load both."""
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        post_script = work / "post.lua"
        post_script.write_text(POST_SCRIPT)
        scenarios = [
            Scenario("ceiling", "ceiling", "/"),
            Scenario("GET list", "api", "/api/comment/list/1"),
            Scenario("POST new", "api", "/", post_script),
        ]
        api, api_url = serve_in_background(
            workers=workers, store=f"sqlite:///{work / 'comments.db'}", log_path=work / "api.log"
        )
        ceiling, ceiling_url = serve_in_background(
            workers=workers, wsgi_app=CEILING_APP, log_path=work / "ceiling.log"
        )
        bases = {"api": api_url, "ceiling": ceiling_url}
        with api, ceiling:
            for n in range(20):  # a listing of realistic size: 20 comments
                requests.post(
                    f"{api_url}/api/comment/new",
                    json={"email": f"reader{n}@example.com", "comment": f"comment {n}", "content_id": 1},
                    timeout=5,
                ).raise_for_status()
            runs: dict[str, list[WrkResult]] = {s.name: [] for s in scenarios}
            for scenario in scenarios:  # warm-up: imports, connections, page cache
                run_wrk(
                    bases[scenario.server] + scenario.path,
                    connections=connections,
                    seconds=1,
                    script=scenario.script,
                )
            for round_no in range(1, rounds + 1):
                for scenario in scenarios:
                    progress(
                        f"round {round_no}/{rounds}: {scenario.name} ({seconds} s, {connections} connections)"
                    )
                    runs[scenario.name].append(
                        run_wrk(
                            bases[scenario.server] + scenario.path,
                            connections=connections,
                            seconds=seconds,
                            script=scenario.script,
                        )
                    )
    medians = {name: _median_result(results) for name, results in runs.items()}
    return BenchReport(connections, seconds, rounds, workers, medians)


def markdown(report: BenchReport, command: str) -> str:
    rows = [
        "| scenario | req/s (median) | p50 ms | p99 ms | requests | errors | ratio to ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ceiling = report.medians["ceiling"].requests_per_s
    for name, result in report.medians.items():
        rows.append(
            f"| {name} | {result.requests_per_s:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
            f"| {result.requests:,} | {result.errors} | {result.requests_per_s / ceiling:.2f} |"
        )
    verdicts = "\n".join(
        f"- {'met' if ok else 'NOT met'}: {target}" for target, ok in report.verdicts().items()
    )
    return (
        f"Command: `{command}`; {report.rounds} interleaved rounds of {report.seconds} s each, "
        f"{report.connections} connections, Granian {report.workers} workers x 4 threads, "
        "embedded SQLite store, wrk on the same machine.\n\n" + "\n".join(rows) + "\n\n" + verdicts + "\n"
    )


def write_section(document: Path, section: str, body: str) -> None:
    """Replace the text between ``<!-- section:start -->`` and ``<!-- section:end -->``."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    text = document.read_text()
    before, found, rest = text.partition(start)
    if not found:
        raise ValueError(f"{document} has no {start} marker")
    _, found, after = rest.partition(end)
    if not found:
        raise ValueError(f"{document} has no {end} marker")
    document.write_text(f"{before}{start}\n{body.rstrip()}\n{end}{after}")

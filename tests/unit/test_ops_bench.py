"""The benchmark's parsing and report writing (the measuring itself is `invoke perf.bench`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ops.perf.bench import (
    SCENARIOS,
    BenchReport,
    Task,
    WrkResult,
    markdown,
    parse_wrk,
    task_settings,
)
from ops.perf.report import write_section

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:8000/api/comment/list/1
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  48.00ms   80.00%
    Req/Sec     2.05k   150.00     2.40k    70.00%
  Latency Distribution
     50%   11.50ms
     75%   13.00ms
     90%   15.20ms
     99%    1.02s
  20450 requests in 5.00s, 3.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   4089.50
Transfer/sec:    634.00KB
"""


def test_parse_wrk_reads_rate_percentiles_and_errors() -> None:
    result = parse_wrk(WRK_OUTPUT)
    assert result == WrkResult(requests_per_s=4089.5, p50_ms=11.5, p99_ms=1020.0, requests=20450, errors=7)


def test_parse_wrk_microseconds_and_no_errors() -> None:
    text = WRK_OUTPUT.replace("11.50ms", "850.00us").replace(
        "  Socket errors: connect 0, read 2, write 0, timeout 1\n", ""
    )
    result = parse_wrk(text.replace("  Non-2xx or 3xx responses: 4\n", ""))
    assert result.p50_ms == pytest.approx(0.85)
    assert result.errors == 0


def test_parse_wrk_rejects_output_without_figures() -> None:
    with pytest.raises(ValueError, match="Requests/sec"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def report(ours: float, deployed: float, original: float, redis: float, p99: float = 5.0) -> BenchReport:
    """A run where every GET and POST row has the given rate; the original as deployed a p99 of 30 ms."""

    def result(rate: float, p99_ms: float = 5.0) -> WrkResult:
        return WrkResult(rate, 2.0, p99_ms, 1000, 0)

    rates = {"deployed": deployed, "original": original, "sqlite": ours, "logged": ours, "redis": redis}
    medians = {SCENARIOS[0].name: result(10_000)}
    for scenario in SCENARIOS[1:]:
        p99_ms = 30.0 if scenario.server == "deployed" else p99
        medians[scenario.name] = result(rates[scenario.server], p99_ms)
    return BenchReport(50, 5, 3, Task(1, {"SERVER_WORKERS": "1"}), medians)


def test_verdicts_are_issue_16s_ratios_within_one_run() -> None:
    assert all(report(ours=3000, deployed=1900, original=3600, redis=2700).verdicts().values())
    failing = report(ours=2000, deployed=1900, original=3600, redis=1500, p99=40).verdicts()
    assert not any(failing.values())
    assert "GET list: >= 1.5x the original as deployed (1.05x)" in failing
    assert "POST new: Redis within 15 % of SQLite (0.75x)" in failing


def test_markdown_has_a_row_per_scenario_the_command_and_the_verdicts() -> None:
    text = markdown(
        report(ours=3000, deployed=1900, original=3600, redis=2700), "invoke perf.bench", flamegraphs=True
    )
    assert "`invoke perf.bench`" in text
    row = "| [api-comments, SQLite, GET list](flamegraphs/api-comments-sqlite-get-list.svg) | 3,000 |"
    assert f"{row} 2.00 | 5.00 | 0 | 0.30 |" in text
    assert "- met: POST new: >= 0.8x the original on our server (0.83x)" in text
    assert len([line for line in text.splitlines() if line.startswith("| ")]) == len(SCENARIOS) + 1


def test_write_section_replaces_only_between_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\nintro\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n")
    write_section(doc, "bench", "new figures\n")
    assert doc.read_text() == "# Perf\nintro\n<!-- bench:start -->\nnew figures\n<!-- bench:end -->\nafter\n"
    with pytest.raises(ValueError, match="no <!-- locust:start --> marker"):
        write_section(doc, "locust", "x")


def test_api_comments_is_measured_with_the_environment_its_tasks_get() -> None:
    """The benchmark reads 03-services' module call, so a change there changes what it measures."""
    task = task_settings()
    assert task.environment["API_COMMENTS_ACCESS_LOG"] == "false"  # Traefik writes the access log (ADR 0016)
    assert task.vcpus == int(task.environment["SERVER_WORKERS"]) == 1  # one worker per vCPU (ADR 0016)


def test_servers_get_the_tasks_cores_and_the_load_the_rest() -> None:
    ours, rest = Task(1, {}).cores()
    available = sorted(os.sched_getaffinity(0))
    assert ours == str(available[0])
    assert rest == (",".join(map(str, available[1:])) or None)
    assert Task(len(available), {}).cores() == (",".join(map(str, available)), None)


def test_the_ingress_benchmark_routes_a_copy_of_the_labels_with_the_limit_out_of_reach() -> None:
    from ops.perf.ingress import bench_labels

    labels = {
        "traefik.enable": "true",
        "traefik.http.routers.api-comments.rule": "Host(`api-comments.platform.localhost`)",
        "traefik.http.routers.api-comments.middlewares": "api-comments-ratelimit,api-comments-retry",
        "traefik.http.routers.api-comments.service": "api-comments",
        "traefik.http.middlewares.api-comments-ratelimit.ratelimit.average": "10",
        "traefik.http.middlewares.api-comments-ratelimit.ratelimit.period": "5s",
        "traefik.http.middlewares.api-comments-ratelimit.ratelimit.burst": "20",
        "traefik.http.middlewares.api-comments-retry.retry.attempts": "2",
        "PROMETHEUS_EXPORTER_PORT": "8000",
    }
    copied = bench_labels(labels, "api-comments", "ingress-bench.platform.localhost")
    assert copied == {
        "traefik.enable": "true",
        "traefik.http.routers.ingress-bench.rule": "Host(`ingress-bench.platform.localhost`)",
        "traefik.http.routers.ingress-bench.middlewares": "ingress-bench-ratelimit,ingress-bench-retry",
        "traefik.http.routers.ingress-bench.service": "ingress-bench",
        "traefik.http.middlewares.ingress-bench-ratelimit.ratelimit.average": "1000000",
        "traefik.http.middlewares.ingress-bench-ratelimit.ratelimit.period": "1s",
        "traefik.http.middlewares.ingress-bench-ratelimit.ratelimit.burst": "1000000",
        "traefik.http.middlewares.ingress-bench-retry.retry.attempts": "2",
    }

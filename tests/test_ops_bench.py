"""The benchmark's parsing and report writing (the measuring itself is `invoke bench`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.bench import BenchReport, WrkResult, markdown, parse_wrk, write_section

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


def report(get: float, post: float, p99: float) -> BenchReport:
    def result(rate: float, p99_ms: float = 5.0) -> WrkResult:
        return WrkResult(rate, 2.0, p99_ms, 1000, 0)

    return BenchReport(
        50, 5, 3, 2, {"ceiling": result(1000), "GET list": result(get, p99), "POST new": result(post)}
    )


def test_verdicts_compare_ratios_and_p99_with_targets() -> None:
    assert all(report(get=700, post=450, p99=20).verdicts().values())
    failing = report(get=500, post=300, p99=30).verdicts()
    assert failing == {"GET >= 0.6 of ceiling": False, "POST >= 0.4 of ceiling": False, "p99 <= 25 ms": False}


def test_markdown_has_a_row_per_scenario_and_the_command() -> None:
    text = markdown(report(get=700, post=450, p99=20), "invoke bench")
    assert "`invoke bench`" in text
    assert "| GET list | 700 | 2.00 | 20.00 | 1,000 | 0 | 0.70 |" in text
    assert "- met: POST >= 0.4 of ceiling" in text


def test_write_section_replaces_only_between_markers(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Perf\nintro\n<!-- bench:start -->\nold\n<!-- bench:end -->\nafter\n")
    write_section(doc, "bench", "new figures\n")
    assert doc.read_text() == "# Perf\nintro\n<!-- bench:start -->\nnew figures\n<!-- bench:end -->\nafter\n"
    with pytest.raises(ValueError, match="no <!-- locust:start --> marker"):
        write_section(doc, "locust", "x")

"""Locust runs: the mix against a local api-comments holds its profile's thresholds, and a run
that writes no results is a clear error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ops import REPO
from ops.perf.loadtest import read_summary


def test_the_mix_against_a_local_api_comments_reports_and_holds_its_thresholds() -> None:
    argv = [sys.executable, "-m", "invoke", "perf.loadtest", "--profile", "smoke", "--run-time", "6s"]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "thresholds of profile smoke hold" in result.stdout
    report = REPO / result.stdout.split("reports: ")[1].split("/report.html")[0]
    assert (report / "report.html").stat().st_size > 10_000
    summary = read_summary(report)
    assert summary.total.requests > 50
    assert summary.total.failures == 0
    names = {endpoint.label for endpoint in summary.endpoints}
    assert names == {"GET /api/comment/list/[id]", "POST /api/comment/new", "GET /api/comment/list/[unknown]"}
    assert sum(endpoint.requests for endpoint in summary.endpoints) == summary.total.requests
    assert sum(summary.statuses.values()) == summary.total.requests
    assert set(summary.statuses) <= {"200", "404"}
    assert summary.statuses["200"] > 0
    assert summary.statuses["404"] > 0  # the unknown ids
    assert "answers by status: 200:" in result.stdout
    assert "GET /api/comment/list/[id]" in result.stdout


def test_a_run_without_results_is_a_clear_error(tmp_path: Path) -> None:
    from ops.perf.loadtest import LoadTestError, locust

    (tmp_path / "broken.py").write_text("raise SystemExit('no locustfile here')\n")
    with pytest.raises(LoadTestError, match=r"locust produced no results; see .*locust\.log"):
        locust(tmp_path / "broken.py", "http://127.0.0.1:9", 1, 1, "1s", tmp_path)

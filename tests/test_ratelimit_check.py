"""`invoke ratelimit-check` end to end: Locust probes a real local server that limits like
Traefik (tests/ratelimit_server.py, a fixture), and the task holds the counts against the
model of the limit written in infra/03-services."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from ops import REPO

from .ratelimit_server import LimitingServer

pytestmark = pytest.mark.slow  # each run starts Locust


def check(host: str, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [
        sys.executable,
        "-m",
        "invoke",
        "ratelimit-check",
        "--service",
        "api-comments",
        "--host",
        host,
        *args,
    ]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False, timeout=180)


def counts(output: str) -> tuple[int, int]:
    """Expected and observed accepted counts from the task's table."""
    match = re.search(r"accepted \(served\)\s*│\s*(\d+)\s*│\s*(\d+)", output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


@pytest.fixture
def limiter(request: pytest.FixtureRequest) -> Iterator[tuple[LimitingServer, str]]:
    average, period, burst = request.param
    server = LimitingServer(average, period, burst)
    http, url = server.start()
    yield server, url
    http.shutdown()


@pytest.mark.parametrize("limiter", [(10, 5.0, 20)], indirect=True)  # as 03-services configures it
def test_a_limit_as_configured_passes(limiter: tuple[LimitingServer, str]) -> None:
    server, url = limiter
    result = check(url, "--requests", "60", "--concurrency", "10", "--duration", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "average 10 per 5s, burst 20" in result.stdout
    expected, observed = counts(result.stdout)
    # 60 requests over 3 s: 20 from the bucket plus about 2/s * 3 s of refill
    assert 24 <= expected <= 28
    assert observed == server.served
    assert "PASS" in result.stdout


@pytest.mark.parametrize("limiter", [(10, 5.0, 40)], indirect=True)  # burst 40: twice what Terraform says
def test_a_wrongly_configured_limit_fails(limiter: tuple[LimitingServer, str]) -> None:
    _, url = limiter
    result = check(url, "--requests", "60", "--concurrency", "10", "--duration", "3")
    assert result.returncode == 1
    expected, observed = counts(result.stdout)
    assert observed - expected >= 15  # the extra 20 tokens show
    assert re.search(rf"FAIL: {observed} accepted, expected {expected} ±\d+", result.stderr)


@pytest.mark.parametrize("limiter", [(10, 5.0, 20)], indirect=True)
def test_two_instances_are_expected_to_accept_twice_the_burst(limiter: tuple[LimitingServer, str]) -> None:
    # One fixture server is one instance: telling the checker there are two must fail.
    _, url = limiter
    result = check(url, "--requests", "60", "--concurrency", "10", "--duration", "0", "--instances", "2")
    assert result.returncode == 1
    expected, observed = counts(result.stdout)
    assert 20 <= observed <= 23  # the bucket of 20, and the refill while the run lasts
    assert expected - observed >= 18  # two buckets expected, one found

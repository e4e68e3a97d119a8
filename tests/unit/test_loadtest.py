"""`invoke perf.loadtest`: Locust's realistic mix against a real api-comments under its server."""

from __future__ import annotations

import pytest

from ops.perf.loadtest import Endpoint, Profile, Summary, broken_thresholds, load_profile


def test_profiles_are_read_with_their_thresholds() -> None:
    smoke = load_profile("smoke")
    assert (smoke.users, smoke.run_time, smoke.max_failure_ratio) == (10, "20s", 0.0)
    with pytest.raises(ValueError, match="unknown profile 'huge': choose one of smoke, baseline, stress"):
        load_profile("huge")


def test_every_broken_threshold_is_named() -> None:
    profile = Profile("p", 1, 1, "1s", max_failure_ratio=0.01, max_p95_ms=100, max_p99_ms=200, min_rps=50)
    fine = Summary(Endpoint("", "all", requests=1000, failures=5, rps=80, p50_ms=10, p95_ms=90, p99_ms=150))
    assert broken_thresholds(profile, fine) == []
    bad = Summary(Endpoint("", "all", requests=1000, failures=20, rps=40, p50_ms=10, p95_ms=120, p99_ms=400))
    assert broken_thresholds(profile, bad) == [
        "failure ratio 0.0200 > 0.01",
        "p95 120 ms > 100 ms",
        "p99 400 ms > 200 ms",
        "40.0 requests/s < 50",
    ]


def test_a_verdict_compares_with_the_model_on_the_real_send_times() -> None:
    from collections import Counter

    from ops.perf.ratelimit import ProbeResult, RateLimit, judge, verdict_markdown

    limit = RateLimit(10, "5s", 20)
    # the write-up's shape: 50 at once, 50 more 0.3 s later; 21 served, 79 answered 429
    result = ProbeResult([0.0] * 50 + [0.3] * 50, Counter({200: 21, 429: 79}))
    verdict = judge(limit, result, duration=0.8)
    assert (verdict.expected.expected_accepted, verdict.even.expected_accepted) == (21, 22)
    assert verdict.passed
    text = verdict_markdown(verdict, "invoke perf.ratelimit-check")
    assert "| accepted (served) | 21 | 21 |" in text
    assert "PASS within ±2" in text
    # a server that let 30 through is outside the tolerance; a 502 is never a pass
    assert not judge(limit, ProbeResult(result.sent, Counter({200: 30, 429: 70})), 0.8).passed
    assert not judge(limit, ProbeResult(result.sent, Counter({200: 21, 429: 78, 502: 1})), 0.8).passed
    # Traefik's own 404 (no router for the Host) is neither served nor limited: never a pass
    unrouted = ProbeResult(result.sent, Counter({200: 20, 429: 79}), unrouted=1)
    assert (unrouted.accepted, unrouted.other) == (20, 1)
    assert not judge(limit, unrouted, 0.8).passed

"""The Traefik rate-limit model against cases computed by hand (the arithmetic is in each test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.perf.ratelimit import (
    RateLimit,
    RateLimitNotFound,
    TokenBucket,
    even_schedule,
    from_terraform,
    parse_period,
    predict,
    tolerance,
)

WRITE_UP = RateLimit(average=10, period="5s", burst=20, source_ip_depth=1)


def test_rate_bucket_and_max_delay_follow_traefik() -> None:
    # rate = 10 / 5 s = 2 tokens/s; maxDelay = 1 s / (2 * 2) = 250 ms
    assert (WRITE_UP.rate, WRITE_UP.bucket, WRITE_UP.max_delay) == (2.0, 20, 0.25)
    # below 1/s the wait is capped at 500 ms: 1 per 2 s
    assert RateLimit(1, "2s", 5).max_delay == 0.5
    # Go truncates the rate first: 5 per 2 s = 2.5/s -> 1 s / (2 * 2) = 250 ms, not 200 ms
    assert RateLimit(5, "2s", 5).max_delay == 0.25
    assert RateLimit(3, "1s", 0).bucket == 1  # Traefik raises a burst of 0 to 1


def test_periods_are_go_durations() -> None:
    assert [parse_period(p) for p in ("5s", "1m", "1m30s", "500ms", "1h")] == [5, 60, 90, 0.5, 3600]
    with pytest.raises(ValueError, match="not a duration"):
        parse_period("5 seconds")


def test_all_at_once_the_bucket_and_the_tolerated_wait_decide() -> None:
    # 100 requests at t=0: the full bucket serves 20 (tokens 20 -> 0). The 21st would
    # take tokens to -1, a wait of 1 / 2 = 0.5 s > 0.25 s: 429. So do all later ones.
    prediction = predict(WRITE_UP, even_schedule(100, 0))
    assert (prediction.expected_accepted, prediction.expected_rejected, prediction.delayed) == (20, 80, 0)


def test_the_write_ups_run_is_explained() -> None:
    # bombardier: 100 requests over 50 connections in about 0.8 s. The first 50 go at
    # t=0: 20 served from the bucket, 30 answered 429 at once. The next 50 start when
    # those answers are back, about 0.3 s later. By then the bucket has refilled
    # 0.3 * 2 = 0.6 tokens. The first of them takes it to -0.4 tokens, a wait of
    # 0.2 s <= 0.25 s, so it is served late. The next would wait 1.4 / 2 = 0.7 s: 429.
    # Total 21 accepted and 79 rejected, as the write-up measured.
    schedule = [0.0] * 50 + [0.3] * 50
    prediction = predict(WRITE_UP, schedule)
    assert (prediction.expected_accepted, prediction.expected_rejected, prediction.delayed) == (21, 79, 1)
    # Spread evenly over 0.8 s instead (one every 8 ms), requests keep coming while the
    # bucket refills. After the 20 of the bucket, one more is due each time
    # 20.5 + 2t passes a whole number: at t >= 0.25 s (request 32 at 0.256 s) and at
    # t >= 0.75 s (request 94 at 0.752 s). That makes 22.
    assert predict(WRITE_UP, even_schedule(100, 0.8)).expected_accepted == 22


def test_a_slow_steady_source_is_never_limited() -> None:
    # 1 request per second against 2 tokens per second: the bucket never empties.
    assert predict(WRITE_UP, even_schedule(30, 30)).expected_accepted == 30


def test_over_a_longer_run_the_rate_adds_to_the_burst() -> None:
    # 100 requests over 10 s (every 0.1 s): 20 from the bucket, then the refill of
    # 2 tokens/s. Requests that need a wait of at most 0.25 s are served, so the
    # bucket runs 0.5 token into debt: accepted(t) = floor(20 + 2t + 0.5) up to
    # t = 9.9 s, which gives floor(40.3) = 40.
    assert predict(WRITE_UP, even_schedule(100, 10)).expected_accepted == 40


def test_each_traefik_instance_keeps_its_own_bucket() -> None:
    # Round-robin over 2 instances, all at t=0: each serves its 20 -> 40.
    assert predict(WRITE_UP, even_schedule(100, 0), instances=2).expected_accepted == 40
    # The 0.8 s run: each instance gets 50 requests, 16 ms apart. Each one serves 20,
    # then floor(20.5 + 2t) more at t >= 0.25 s and at t >= 0.75 s. That is 22 each, 44 in all.
    assert predict(WRITE_UP, even_schedule(100, 0.8), instances=2).expected_accepted == 44


def test_a_rejected_request_costs_no_token() -> None:
    bucket = TokenBucket(rate=2.0, burst=1)
    assert bucket.reserve(0.0, 0.25) == 0.0  # the one token
    assert bucket.reserve(0.0, 0.25) is None  # a wait of 0.5 s: 429, reservation cancelled
    assert bucket.reserve(0.3, 0.25) == pytest.approx(0.2)  # 0.6 tokens -> -0.4: wait 0.2 s
    assert bucket.reserve(0.3, 0.25) is None


def test_tolerance_is_one_request_per_instance_plus_two_percent() -> None:
    assert tolerance(predict(WRITE_UP, even_schedule(100, 0.8))) == 1 + 1  # 22 accepted -> ceil(0.44)
    assert tolerance(predict(WRITE_UP, even_schedule(100, 0), instances=2)) == 2 + 1


def test_the_limit_is_read_from_the_terraform_of_03_services(tmp_path: Path) -> None:
    assert from_terraform("api-comments") == WRITE_UP
    (tmp_path / "main.tf").write_text(
        'module "reports" {\n  source = "../modules/ecs-service"\n'
        "  rate_limit = { average = var.reports_average, burst = 5 }\n}\n"
        'module "quiet" {\n  source = "../modules/ecs-service"\n}\n'
    )
    with pytest.raises(RateLimitNotFound, match="sets average with expressions"):
        from_terraform("reports", tmp_path)
    with pytest.raises(RateLimitNotFound, match="sets no rate_limit"):
        from_terraform("quiet", tmp_path)
    with pytest.raises(RateLimitNotFound, match="no module 'nope'"):
        from_terraform("nope", tmp_path)

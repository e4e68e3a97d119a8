"""Traefik's rate limit, modelled so a load test can say how many requests it should accept.

Traefik's ``rateLimit`` middleware (pkg/middlewares/ratelimiter) keeps one token bucket per
source, from golang.org/x/time/rate: the rate is average/period tokens per second and the
bucket holds ``burst`` tokens (a new source starts with a full bucket). Each request
reserves one token. If the reservation has to wait, Traefik sleeps and then serves the
request when the wait is at most ``maxDelay``. Otherwise it cancels the reservation (the
token goes back) and answers 429 with Retry-After. ``maxDelay`` is
``1s / (2 * int(rate))``, which is 1/(2·rate) for whole rates. Go truncates the rate
first, so for rate 2.5/s it is still 250 ms. It is 500 ms when the rate is below 1/s.
Every Traefik instance keeps its own buckets, so K instances behind round-robin accept
up to K times as much, unless the Redis-backed limiter is configured.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops import OpsError
from ops.terraform.layers import INFRA, module_call

DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class RateLimitNotFound(OpsError):
    """The service has no rate limit in the Terraform configuration, or not as literals."""


def parse_period(text: str) -> float:
    """A Go duration as Traefik reads ``period`` (``5s``, ``1m``, ``1m30s``, ``500ms``), in seconds."""
    text = text.strip()
    if not text or DURATION.sub("", text):
        raise ValueError(f"period {text!r} is not a duration like 1s, 5s, 500ms or 1m")
    return sum(float(number) * UNITS[unit] for number, unit in DURATION.findall(text))


@dataclass(frozen=True)
class RateLimit:
    average: int
    period: str = "1s"
    burst: int = 1
    source_ip_depth: int = 1

    def __post_init__(self) -> None:
        if self.average <= 0:
            raise ValueError("average must be above 0 (Traefik does not limit at 0)")
        parse_period(self.period)

    @property
    def rate(self) -> float:
        """Tokens per second."""
        return self.average / parse_period(self.period)

    @property
    def bucket(self) -> int:
        return max(self.burst, 1)  # Traefik raises a burst below 1 to 1

    @property
    def max_delay(self) -> float:
        """The longest wait Traefik serves instead of answering 429 (seconds)."""
        return 0.5 if self.rate < 1 else 1 / (2 * int(self.rate))

    def describe(self) -> str:
        return (
            f"average {self.average} per {self.period}, burst {self.burst}, "
            f"X-Forwarded-For depth {self.source_ip_depth}"
        )


class TokenBucket:
    """golang.org/x/time/rate's Limiter as Traefik uses it: reserve, then cancel if the wait
    is longer than maxDelay. Times are seconds on any monotonic clock."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)  # a new source starts with a full bucket
        self.last = -math.inf

    def _advance(self, now: float) -> float:
        if self.last == -math.inf:
            return float(self.burst)
        return min(self.burst, self.tokens + max(0.0, now - self.last) * self.rate)

    def reserve(self, now: float, max_delay: float) -> float | None:
        """The wait before the request is served, or None when Traefik answers 429."""
        tokens = self._advance(now) - 1
        wait = -tokens / self.rate if tokens < 0 else 0.0
        if wait > max_delay:
            return None  # the reservation is cancelled: the bucket is left as it was
        self.tokens, self.last = tokens, max(now, self.last)
        return wait


@dataclass(frozen=True)
class Prediction:
    requests: int
    expected_accepted: int
    expected_rejected: int
    delayed: int
    instances: int

    def as_json(self, limit: RateLimit, duration: float | None = None) -> dict[str, Any]:
        return {
            "expected_accepted": self.expected_accepted,
            "expected_rejected": self.expected_rejected,
            "delayed": self.delayed,
            "requests": self.requests,
            **({"duration_seconds": duration} if duration is not None else {}),
            "instances": self.instances,
            "rate_per_second": round(limit.rate, 6),
            "bucket": limit.bucket,
            "max_delay_seconds": limit.max_delay,
        }


def even_schedule(requests: int, duration: float) -> list[float]:
    """Send times of ``requests`` spread evenly over ``duration`` seconds, the first at 0."""
    if requests < 1:
        raise ValueError("requests must be at least 1")
    if duration < 0:
        raise ValueError("duration must not be negative")
    return [index * duration / requests for index in range(requests)]


def predict(limit: RateLimit, send_times: list[float], instances: int = 1) -> Prediction:
    """What Traefik does with requests from one source sent at these times, round-robin over
    ``instances`` Traefik tasks that each keep their own bucket."""
    if instances < 1:
        raise ValueError("instances must be at least 1")
    buckets = [TokenBucket(limit.rate, limit.bucket) for _ in range(instances)]
    accepted = delayed = 0
    for index, sent in enumerate(send_times):
        wait = buckets[index % instances].reserve(sent, limit.max_delay)
        if wait is not None:
            accepted += 1
            delayed += wait > 0
    return Prediction(len(send_times), accepted, len(send_times) - accepted, delayed, instances)


def tolerance(prediction: Prediction) -> int:
    """How far the observed accepted count may be from the prediction and still pass.

    The prediction is computed from the probe's own send times, but Traefik sees each
    request a little later (connection set-up and scheduling on both sides). A request
    sitting at the edge of a token can fall either way, so one request per instance
    is allowed. So is 2 % of the accepted count for the clock drift of a long run."""
    return prediction.instances + math.ceil(0.02 * prediction.expected_accepted)


def from_terraform(service: str, layer: Path = INFRA / "03-services") -> RateLimit:
    """The service's ``rate_limit`` as written in the layer's module block: the one source
    of truth, with the module's defaults for what it leaves out."""
    call = module_call(service, layer)
    if call is None:
        raise RateLimitNotFound(f"no module {service!r} in {layer.name}")
    path, arguments = call
    settings = arguments.get("rate_limit")
    if not isinstance(settings, dict):
        raise RateLimitNotFound(f"{service} in {layer.name}/{path.name} sets no rate_limit")
    clean = {key: value for key, value in settings.items() if not key.startswith("__")}
    expressions = [key for key, value in clean.items() if isinstance(value, str) and "${" in value]
    if expressions:
        raise RateLimitNotFound(
            f"rate_limit of {service} sets {', '.join(expressions)} with expressions; "
            "ratelimit-check reads literal values (or pass --average/--period/--burst)"
        )
    return RateLimit(
        average=int(clean["average"]),
        period=str(clean.get("period", "1s")),
        burst=int(clean["burst"]),
        source_ip_depth=int(clean.get("source_ip_depth", 1)),
    )


@dataclass
class ProbeResult:
    sent: list[float]
    statuses: Counter[int]
    unrouted: int = 0  # Traefik's own 404s (no router matched): never the service's answer

    @property
    def accepted(self) -> int:
        return sum(count for status, count in self.statuses.items() if 200 <= status < 300 or status == 404)

    @property
    def rejected(self) -> int:
        return self.statuses.get(429, 0)

    @property
    def other(self) -> int:
        return sum(self.statuses.values()) - self.accepted - self.rejected + self.unrouted


@dataclass
class Verdict:
    limit: RateLimit
    expected: Prediction  # from the probe's real send times
    even: Prediction  # the same requests spread perfectly evenly
    observed: ProbeResult
    tolerance: int

    @property
    def rows(self) -> list[tuple[str, int, int]]:
        """(answer, expected, observed): accepted, rejected (429) and any other answer."""
        return [
            ("accepted (served)", self.expected.expected_accepted, self.observed.accepted),
            ("rejected (429)", self.expected.expected_rejected, self.observed.rejected),
            ("other answers", 0, self.observed.other),
        ]

    @property
    def explanation(self) -> str:
        return (
            "expected: the model run on the probe's own send times (spread perfectly evenly it would "
            f"be {self.even.expected_accepted}). Tolerance ±{self.tolerance}: one request per Traefik "
            "instance can fall either side of a token's edge, as a request arrives a little after it is "
            "sent; plus 2 % for clock drift."
        )

    @property
    def summary(self) -> str:
        """PASS or FAIL with the counts, and what else answered."""
        observed, expected = self.observed, f"expected {self.expected.expected_accepted} ±{self.tolerance}"
        if self.passed:
            return f"PASS: {observed.accepted} accepted, {expected}"
        unrouted = f", {observed.unrouted} of them Traefik's own 404 (no router)" if observed.unrouted else ""
        other = f"; {observed.other} answers neither 2xx, 404 nor 429{unrouted}" if observed.other else ""
        return f"FAIL: {observed.accepted} accepted, {expected}{other}"

    @property
    def passed(self) -> bool:
        return (
            self.observed.other == 0
            and abs(self.observed.accepted - self.expected.expected_accepted) <= self.tolerance
        )


def verdict_markdown(verdict: Verdict, command: str) -> str:
    return "\n".join([
        f"Measured with `{command}` against {verdict.limit.describe()}:",
        "",
        "| answer | expected | observed |",
        "|---|---:|---:|",
        *(f"| {name} | {expected} | {observed} |" for name, expected, observed in verdict.rows),
        "",
        f"{'PASS' if verdict.passed else 'FAIL'} within ±{verdict.tolerance}; spread perfectly evenly "
        f"the model would expect {verdict.even.expected_accepted} accepted.",
    ])  # fmt: skip


def judge(limit: RateLimit, result: ProbeResult, duration: float, instances: int = 1) -> Verdict:
    expected = predict(limit, result.sent, instances)
    even = predict(limit, even_schedule(len(result.sent), duration), instances)
    return Verdict(limit, expected, even, result, tolerance(expected))

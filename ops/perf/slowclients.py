"""Slow clients against a server: do they pin its workers?

Some connections send their request slowly, a byte a second: the headers (slowloris) or a
body announced with its Content-Length. Meanwhile an ordinary client asks /health twice a
second with a 2 s timeout. A server whose workers a slow client can pin stops answering it.
"""

from __future__ import annotations

import socket
import statistics
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

KINDS = ("headers", "body")


@dataclass(frozen=True)
class SlowClientResult:
    kind: str
    connections: int
    probes: int
    answered: int
    median_ms: float
    worst_ms: float

    @property
    def timed_out(self) -> int:
        return self.probes - self.answered

    def row(self) -> list[str]:
        return [self.kind, str(self.connections), str(self.probes), str(self.answered), str(self.timed_out),
                f"{self.median_ms:.1f}", f"{self.worst_ms:.1f}"]  # fmt: skip


COLUMNS = ["slow part", "slow connections", "probes", "answered", "timed out", "median ms", "worst ms"]


def _slow_client(host: str, port: int, kind: str, stop: threading.Event) -> None:
    try:
        with socket.create_connection((host, port), timeout=5) as sock:
            if kind == "headers":
                sock.sendall(f"GET /health HTTP/1.1\r\nHost: {host}\r\n".encode())
                trickle = b"X-Slow: " + b"a" * 10_000
            else:
                sock.sendall(
                    f"POST /api/comment/new HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                    "Content-Length: 10000\r\n\r\n".encode()
                )
                trickle = b" " * 10_000
            for byte in trickle:
                if stop.wait(1.0):
                    return
                sock.sendall(bytes([byte]))
    except OSError:
        return  # the server closed it: that is the protection working


def probe(
    base_url: str, *, kind: str = "headers", connections: int = 9, seconds: float = 10.0
) -> SlowClientResult:
    """``connections`` slow clients for ``seconds``, and /health asked twice a second meanwhile."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    stop = threading.Event()
    slow = [threading.Thread(target=_slow_client, args=(host, port, kind, stop), daemon=True)
            for _ in range(connections)]  # fmt: skip
    for thread in slow:
        thread.start()
    time.sleep(1.0)  # let them take whatever they take
    latencies: list[float] = []
    probes = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        probes += 1
        started = time.perf_counter()
        try:
            if requests.get(f"{base_url}/health", timeout=2).status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
        except requests.RequestException:
            pass
        time.sleep(max(0.0, 0.5 - (time.perf_counter() - started)))
    stop.set()
    for thread in slow:
        thread.join(timeout=5)
    return SlowClientResult(
        kind,
        connections,
        probes,
        len(latencies),
        statistics.median(latencies) if latencies else float("nan"),
        max(latencies, default=float("nan")),
    )


def markdown(results: list[SlowClientResult], command: str, host: str) -> str:
    lines = [f"Measured with `{command}` against {host}.", "", "| " + " | ".join(COLUMNS) + " |",
             "|---|" + "---:|" * (len(COLUMNS) - 1)]  # fmt: skip
    return "\n".join(lines + ["| " + " | ".join(result.row()) + " |" for result in results])

"""Test fixture: a real HTTP server that rate-limits the way Traefik's rateLimit middleware
does. It keeps one golang.org/x/time/rate bucket per source (the right-most
X-Forwarded-For address at depth 1, else the peer address). It serves a request after a
wait of at most maxDelay and answers 429 with Retry-After otherwise. It is written apart
from ops/ratelimit.py, on the real clock, so the checker is tested against behaviour and
not against its own model.
"""

from __future__ import annotations

import math
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Bucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.last = float(burst), time.monotonic()

    def reserve(self, now: float) -> float:
        """Take a token (possibly borrowed from the future); the wait until it is there."""
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate) - 1
        self.last = now
        return max(0.0, -self.tokens / self.rate)

    def cancel(self) -> None:
        self.tokens += 1


class LimitingServer:
    def __init__(self, average: int, period_seconds: float, burst: int) -> None:
        self.rate = average / period_seconds
        self.burst = max(burst, 1)
        self.max_delay = 0.5 if self.rate < 1 else 1 / (2 * int(self.rate))  # Go: time.Duration(rate)
        self.buckets: dict[str, Bucket] = {}
        self.lock = threading.Lock()
        self.served = self.rejected = 0

    def decide(self, source: str) -> float | None:
        with self.lock:
            bucket = self.buckets.setdefault(source, Bucket(self.rate, self.burst))
            wait = bucket.reserve(time.monotonic())
            if wait > self.max_delay:
                bucket.cancel()
                self.rejected += 1
                return None
            self.served += 1
            return wait

    def start(self) -> tuple[ThreadingHTTPServer, str]:
        limiter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                forwarded = self.headers.get("X-Forwarded-For", "")
                source = forwarded.split(",")[-1].strip() or self.client_address[0]
                wait = limiter.decide(source)
                if wait is None:
                    body, status = b'{"message":"Too Many Requests"}', 429
                else:
                    time.sleep(wait)
                    body, status = b"[]", 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", str(max(1, math.ceil(1 / limiter.rate))))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            # A listen backlog like a real proxy's: with the default of 5, 50 connections at
            # once lose SYNs and arrive a second later, which is not what is being measured.
            request_queue_size = 256
            daemon_threads = True

        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

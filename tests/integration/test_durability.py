"""No acknowledged comment is lost: writers post under load while a part dies (kill -9), then
every comment that was answered 200 must be listed. SQLite: a worker, then the whole server.
Redis as ElastiCache runs it (no append-only file, an asynchronous replica) behind an endpoint
that follows the primary (HAProxy checking `role:master`, as ElastiCache's primary endpoint
follows a failover): the primary crashes and its replica is promoted; then a planned
FAILOVER. The counts are printed (pytest -s) for the closing note."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from api_comments.store import SQLiteStore

from ops.server import free_port, serve_in_background
from ops.tools import require
from tests.conftest import RedisServer

from .test_under_server import list_all

pytestmark = pytest.mark.timeout(180)


@dataclass
class Writers:
    """Clients that post comments with an Idempotency-Key each and retry a 503 with it, as the
    API asks; `acknowledged` holds what was answered 200."""

    base: str
    content_id: int
    acknowledged: list[str] = field(default_factory=list)
    unavailable: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, worker: int) -> None:
        session, n = requests.Session(), 0
        while not self.stop.is_set():
            n += 1
            text, key = f"w{worker}-{n}", str(uuid.uuid4())
            while not self.stop.is_set():
                comment = {"email": "durable@example.com", "comment": text, "content_id": self.content_id}
                try:
                    answer = session.post(f"{self.base}/api/comment/new", json=comment, timeout=5,
                                          headers={"Idempotency-Key": key})  # fmt: skip
                except requests.RequestException:
                    answer = None  # the server itself went away: retry with the same key
                if answer is not None and answer.status_code == 200:
                    self.acknowledged.append(text)
                    break
                self.unavailable += 1
                time.sleep(0.05)

    def during(self, fault: Callable[[], None], before: float = 1.5, after: float = 2.0) -> None:
        threads = [threading.Thread(target=self.run, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        time.sleep(before)
        fault()
        time.sleep(after)
        self.stop.set()
        for thread in threads:
            thread.join()


def report(name: str, writers: Writers, listed: list[str]) -> None:
    lost = set(writers.acknowledged) - set(listed)
    print(f"{name}: acknowledged {len(writers.acknowledged)}, listed {len(listed)}, lost {len(lost)}, "
          f"503 answers retried {writers.unavailable}")  # fmt: skip
    assert not lost, sorted(lost)[:10]
    assert len(listed) == len(set(listed)), "a retried comment was stored twice"


def children(pid: int) -> list[int]:
    answer = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    return [int(line) for line in answer.stdout.split()]


def _open_store(path: str, barrier: Any) -> None:
    barrier.wait()  # every process opens the fresh file at the same moment, as a server's workers do
    SQLiteStore(path)


def test_workers_opening_a_fresh_database_together_all_start(tmp_path: Path) -> None:
    """A server's workers start together on a new SQLite file; none may die of "database is
    locked" while another turns it to WAL (it used to, about one opener in twenty)."""
    context = multiprocessing.get_context("fork")
    for attempt in range(50):
        path, barrier = str(tmp_path / f"comments-{attempt}.db"), context.Barrier(4)
        openers = [context.Process(target=_open_store, args=(path, barrier)) for _ in range(4)]
        for opener in openers:
            opener.start()
        for opener in openers:
            opener.join(timeout=30)
        assert [opener.exitcode for opener in openers] == [0, 0, 0, 0], f"attempt {attempt}"


def test_sqlite_loses_nothing_when_a_worker_is_killed(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'comments.db'}"
    process, base = serve_in_background(workers=2, store=store, log_path=tmp_path / "server.log")
    with process:
        writers = Writers(base, 601)
        assert process.process is not None
        writers.during(lambda: os.kill(children(process.process.pid)[0], signal.SIGKILL))
        listed = [c["comment"] for c in list_all(base, 601)]
    report("SQLite, a worker killed", writers, listed)


def test_sqlite_loses_nothing_when_the_whole_server_is_killed(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'comments.db'}"
    process, base = serve_in_background(workers=2, store=store, log_path=tmp_path / "server.log")
    process.start()
    writers = Writers(base, 602)
    assert process.process is not None
    pids = [process.process.pid, *children(process.process.pid)]
    writers.during(lambda: [os.kill(pid, signal.SIGKILL) for pid in pids], after=0.5)
    again, base = serve_in_background(workers=2, store=store, log_path=tmp_path / "again.log")
    with again:
        listed = [c["comment"] for c in list_all(base, 602)]
    report("SQLite, the server killed", writers, listed)


HAPROXY = """
global
  maxconn 512
defaults
  mode tcp
  timeout connect 1s
  timeout client 30s
  timeout server 30s
frontend comments
  bind 127.0.0.1:{port}
  default_backend primary
backend primary
  option tcp-check
  tcp-check connect
  tcp-check send PING\\r\\n
  tcp-check expect string +PONG
  tcp-check send info\\ replication\\r\\n
  tcp-check expect string role:master
  tcp-check send QUIT\\r\\n
  tcp-check expect string +OK
{servers}
"""


def in_sync(replica: RedisServer, timeout: float = 10.0) -> None:
    """Until the replica's link to its primary is up (its first full copy done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if redis.Redis(port=replica.port).info("replication").get("master_link_status") == "up":
            return
        time.sleep(0.05)
    raise TimeoutError(f"replica on {replica.port} did not sync")


@pytest.fixture
def replicated(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer, str]]:
    """A primary, its replica, and an endpoint that always reaches the primary."""
    primary = RedisServer(tmp_path / "primary", elasticache=True).start()
    replica = RedisServer(tmp_path / "replica", elasticache=True, replica_of=primary.port).start()
    in_sync(replica)
    port = free_port()
    check = "check inter 100ms fall 1 rise 1 on-marked-down shutdown-sessions"
    servers = "\n".join(f"  server {name} 127.0.0.1:{node.port} {check}"
                        for name, node in (("a", primary), ("b", replica)))  # fmt: skip
    (tmp_path / "haproxy.cfg").write_text(HAPROXY.format(port=port, servers=servers))
    endpoint = subprocess.Popen([require("haproxy"), "-f", str(tmp_path / "haproxy.cfg")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_timeout=0.5).ping():
                break
        except redis.RedisError:
            time.sleep(0.1)
    yield primary, replica, f"redis://127.0.0.1:{port}/0?replicas=1&replica_timeout_ms=500"
    endpoint.terminate()
    endpoint.wait(timeout=10)
    replica.stop()
    primary.stop()


def test_redis_loses_nothing_when_the_primary_crashes_and_its_replica_takes_over(
    replicated: tuple[RedisServer, RedisServer, str], tmp_path: Path
) -> None:
    primary, replica, store = replicated
    process, base = serve_in_background(workers=2, store=store, log_path=tmp_path / "server.log")
    with process:
        writers = Writers(base, 701)

        def crash_promote_replace() -> None:
            primary.crash()
            time.sleep(0.5)  # ElastiCache promotes within seconds; the endpoint follows
            redis.Redis(port=replica.port).replicaof("NO", "ONE")
            # and replaces the lost node with a new replica, without which no write is confirmed
            primary.replica_of = replica.port
            primary.start()
            in_sync(primary)

        writers.during(crash_promote_replace, after=3.0)
        listed = [c["comment"] for c in list_all(base, 701)]  # the same process: no restart
    report("Redis, primary crashed, replica promoted", writers, listed)
    assert writers.unavailable > 0, "the crash was seen"


def test_redis_loses_nothing_through_a_planned_failover(
    replicated: tuple[RedisServer, RedisServer, str], tmp_path: Path
) -> None:
    primary, replica, store = replicated
    process, base = serve_in_background(workers=2, store=store, log_path=tmp_path / "server.log")
    with process:
        writers = Writers(base, 702)
        writers.during(lambda: redis.Redis(port=primary.port).execute_command("FAILOVER"), after=3.0)
        listed = [c["comment"] for c in list_all(base, 702)]
        assert redis.Redis(port=replica.port).info("replication")["role"] == "master"
    report("Redis, planned failover", writers, listed)


def test_a_write_no_replica_confirmed_is_answered_as_unknown_not_as_nothing_stored(
    replicated: tuple[RedisServer, RedisServer, str], tmp_path: Path
) -> None:
    """With its replica gone, the primary still takes the write but WAIT sees no replica: the
    503 says the outcome is unknown, and the retry with the same key stores it once."""
    _, replica, store = replicated
    process, base = serve_in_background(workers=1, store=store, log_path=tmp_path / "server.log")
    with process:
        replica.crash()
        comment = {"email": "unknown@example.com", "comment": "maybe", "content_id": 703}
        key = {"Idempotency-Key": "k703"}
        answer = requests.post(f"{base}/api/comment/new", json=comment, headers=key, timeout=10)
        assert answer.status_code == 503
        assert "may or may not be stored" in answer.json()["message"]
        assert [c["comment"] for c in list_all(base, 703)] == ["maybe"]  # it was stored on the primary
        replica.start()
        in_sync(replica)
        again = requests.post(f"{base}/api/comment/new", json=comment, headers=key, timeout=10)
        assert again.status_code == 200
        assert [c["comment"] for c in list_all(base, 703)] == ["maybe"]

"""Comment stores: an embedded SQLite default and Redis for AWS (ElastiCache).

Both keep comments per content id in insertion order and page through them with an
opaque cursor, so every worker and every task sees the same comments (the original
service kept a dict per process and lost comments as soon as it ran two workers).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypedDict, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import NoScriptError, ReadOnlyError
from redis.retry import Retry


class Comment(TypedDict):
    """A stored comment as the API lists it (a dict: it goes to JSON as it is)."""

    email: str
    comment: str
    created_at: str


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    next_cursor: str | None


class StoreUnavailable(Exception):
    """The store could not be reached: nothing was stored; the client may retry."""


class OutcomeUnknown(StoreUnavailable):
    """The write was sent but not confirmed (no answer, or not yet on the replicas it must
    reach): it may or may not be stored. A retry with the same idempotency key stores it once."""


class KeyReused(ValueError):
    """An idempotency key already stored another comment."""


class InvalidCursor(ValueError):
    """The cursor was not issued by this store."""


class CommentStore(Protocol):
    def add(self, content_id: int, email: str, comment: str, idempotency_key: str) -> None:
        """Store the comment once per idempotency key (a retry of the same request adds
        nothing; the key with another comment raises KeyReused)."""

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page: ...

    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot serve requests."""


# A key the app makes for a request that brought none (api.idempotency_key).
GENERATED_KEY_PREFIX = "request:"
IDEMPOTENCY_SECONDS = 86_400


def _digest(content_id: int, email: str, comment: str) -> str:
    return hashlib.sha256(json.dumps([content_id, email, comment]).encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _switch_to_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """WAL mode, waiting for other openers of a fresh file. Turning a new database to WAL takes
    an exclusive lock, and when processes start together (a server's workers) SQLite answers
    SQLITE_BUSY at once instead of calling the busy handler, as waiting could deadlock
    (https://www.sqlite.org/c3ref/busy_handler.html): so the switch is retried here."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteStore:
    """SQLite in WAL mode: no server, durable, safe for several processes on one host."""

    # Comments are never deleted, so a plain rowid is always the largest so far plus one: the
    # ids only grow, as cursors need, without AUTOINCREMENT's extra write per insert (a third
    # of an insert's CPU; https://www.sqlite.org/autoinc.html). Databases made before keep
    # their AUTOINCREMENT, which pages the same way.
    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS comments (
            id INTEGER PRIMARY KEY,
            content_id INTEGER NOT NULL,
            email TEXT NOT NULL,
            comment TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS comments_by_content ON comments (content_id, id);
        CREATE TABLE IF NOT EXISTS idempotency_keys (
            key TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            expires_at REAL NOT NULL
        );
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"cannot create the comment store {path} ({exc.strerror}): set API_COMMENTS_STORE_URL"
            ) from exc
        with self._db() as db:
            db.executescript(self._SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """The process's one connection, to one thread at a time. A connection per thread cost
        a post about 13 % more CPU: in WAL mode a connection drops its page cache whenever another
        has written (docs/adr/0016). A connection does not survive a fork: a new process opens
        its own."""
        with self._lock:
            if self._conn is None or self._pid != os.getpid():
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
                _switch_to_wal(conn, timeout=10)
                # NORMAL in WAL mode survives a crash of any process; only a power loss
                # can drop the last commits, which an fsync per comment would not be worth.
                conn.execute("PRAGMA synchronous=NORMAL")
                self._conn, self._pid = conn, os.getpid()
            yield self._conn

    def add(self, content_id: int, email: str, comment: str, idempotency_key: str) -> None:
        # One local transaction: it commits or raises, so the outcome is never unknown. Only a
        # client's own Idempotency-Key is kept (a day): a request's own key has no retry to meet.
        insert = (
            "INSERT INTO comments (content_id, email, comment, created_at) VALUES (?, ?, ?, ?)",
            (content_id, email, comment, _now()),
        )
        try:
            with self._db() as db:
                if idempotency_key.startswith(GENERATED_KEY_PREFIX):
                    db.execute(*insert)
                    return
                self._add_once(db, insert, _digest(content_id, email, comment), idempotency_key)
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc

    @staticmethod
    def _add_once(
        db: sqlite3.Connection, insert: tuple[str, tuple[object, ...]], digest: str, key: str
    ) -> None:
        with db:  # BEGIN ... COMMIT, or ROLLBACK on an exception
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM idempotency_keys WHERE expires_at < ?", (time.time(),))
            kept = db.execute("SELECT digest FROM idempotency_keys WHERE key = ?", (key,)).fetchone()
            if kept is not None:
                if kept[0] != digest:
                    raise KeyReused(key)
                return
            db.execute(
                "INSERT INTO idempotency_keys (key, digest, expires_at) VALUES (?, ?, ?)",
                (key, digest, time.time() + IDEMPOTENCY_SECONDS),
            )
            db.execute(*insert)

    _CURSOR = re.compile(r"[0-9]{1,19}")  # a row id: ASCII digits, 64-bit signed

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page:
        if cursor is not None and not (self._CURSOR.fullmatch(cursor) and int(cursor) < 2**63):
            raise InvalidCursor(cursor)
        try:
            with self._db() as db:
                rows = db.execute(
                    "SELECT id, email, comment, created_at FROM comments"
                    " WHERE content_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (content_id, int(cursor or 0), limit + 1),
                ).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc
        next_cursor = str(rows[limit - 1][0]) if len(rows) > limit else None
        comments = [Comment(email=e, comment=c, created_at=t) for _, e, c, t in rows[:limit]]
        return Page(comments, next_cursor)

    def ping(self) -> None:
        try:
            with self._db() as db:
                db.execute("SELECT 1 FROM comments LIMIT 1")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc


class RedisStore:
    """One Redis stream per content id: XADD is atomic and stream ids are the cursor.

    A write is acknowledged only once `replicas` replicas have it (WAIT): ElastiCache
    replicates asynchronously and keeps no log, so a primary lost before its replicas got a
    comment would lose it (docs/adr/0015). The store URL says how many: `?replicas=N`
    (and `&replica_timeout_ms=M`, 500 by default). Each write carries an idempotency key, kept
    for a day with a digest of the comment, so a retried request (by redis-py, or by the
    client after an unknown outcome) is stored once. A replica promoted by a failover is
    reached by reconnecting: the endpoint's DNS name follows the primary, and a connection
    that finds a read-only replica reconnects.
    """

    # A stream id: two unsigned 64-bit numbers in ASCII digits (\d would also take "٣").
    _STREAM_ID = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
    # KEYS: the stream, the idempotency key. ARGV: the key's lifetime, the comment's digest,
    # then the fields. Answers 1 (stored), 0 (stored before) or -1 (the key holds another).
    _ADD_ONCE = """
        if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'EX', ARGV[1]) then
            redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
            return 1
        end
        if redis.call('GET', KEYS[2]) == ARGV[2] then return 0 end
        return -1
    """

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        options = dict(parse_qsl(parts.query))
        self.replicas = int(options.pop("replicas", "0"))
        self.replica_timeout_ms = int(options.pop("replica_timeout_ms", "500"))
        self.url = urlunsplit(parts._replace(query=urlencode(options)))
        self._redis = redis.Redis.from_url(
            self.url,
            decode_responses=True,
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError, ReadOnlyError],
        )
        self._add_once_sha = hashlib.sha1(self._ADD_ONCE.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1

    @staticmethod
    def _key(content_id: int) -> str:
        return f"comments:{content_id}"

    def add(self, content_id: int, email: str, comment: str, idempotency_key: str) -> None:
        fields = ["email", email, "comment", comment, "created_at", _now()]
        digest = _digest(content_id, email, comment)
        keys = [self._key(content_id), f"idempotency:{idempotency_key}"]
        try:
            answers = self._send_add(keys, [IDEMPOTENCY_SECONDS, digest, *fields])
        except redis.RedisError as exc:
            if _never_sent(exc):
                raise StoreUnavailable(f"redis: {exc}") from exc
            raise OutcomeUnknown(f"redis: {exc}") from exc
        if answers[0] == -1:
            raise KeyReused(idempotency_key)
        if self.replicas and answers[-1] < self.replicas:
            raise OutcomeUnknown(f"redis: {answers[-1]} of {self.replicas} replicas confirmed the write")

    def _send_add(self, keys: list[str], args: list[str | int]) -> list[Any]:
        """EVALSHA (and WAIT) in one round trip. redis-py's pipelined scripts would first ask
        SCRIPT EXISTS on every call, a second round trip; here the script is loaded only when
        the server answers NOSCRIPT (a fresh server or a promoted replica), which means that
        nothing ran, so sending it again is safe."""
        try:
            return self._pipeline_add(keys, args)
        except NoScriptError:
            self._redis.script_load(self._ADD_ONCE)
            return self._pipeline_add(keys, args)

    def _pipeline_add(self, keys: list[str], args: list[str | int]) -> list[Any]:
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(self._add_once_sha, len(keys), *keys, *args)
            if self.replicas:
                pipe.wait(self.replicas, self.replica_timeout_ms)
            return pipe.execute()

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page:
        match = self._STREAM_ID.fullmatch(cursor) if cursor is not None else None
        if cursor is not None and not (match and all(int(part) < 2**64 for part in match.groups())):
            raise InvalidCursor(cursor)
        start = f"({cursor}" if cursor else "-"
        try:
            entries = cast(
                list[tuple[str, Comment]],  # the fields XADD wrote: a Comment
                self._redis.xrange(self._key(content_id), min=start, max="+", count=limit + 1),
            )
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        next_cursor = entries[limit - 1][0] if len(entries) > limit else None
        return Page([fields for _, fields in entries[:limit]], next_cursor)

    def ping(self) -> None:
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc


def _never_sent(exc: redis.RedisError) -> bool:
    """A failure to connect: the command never left (redis-py's connect errors say so)."""
    text = str(exc)
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError) and (
        " connecting to " in text or text.startswith("Timeout connecting")
    )


def open_store(url: str) -> CommentStore:
    """Open the store a URL names: sqlite:///relative.db, sqlite:////abs.db, redis(s)://…"""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url.removeprefix("sqlite:///")
        if not path or path == url:
            raise ValueError(f"invalid store URL {url!r}: write sqlite:///path/to/comments.db")
        return SQLiteStore(path)
    if scheme in {"redis", "rediss", "unix"}:
        return RedisStore(url)
    raise ValueError(f"unsupported store URL {url!r}: use sqlite:///path or redis://host:port/db")

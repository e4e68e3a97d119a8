"""Comment stores: an embedded SQLite default and Redis for AWS (ElastiCache).

Both keep comments per content id in insertion order and page through them with an
opaque cursor, so every worker and every task sees the same comments (the original
service kept a dict per process and lost comments as soon as it ran two workers).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


@dataclass(frozen=True)
class Comment:
    email: str
    comment: str
    created_at: str


@dataclass(frozen=True)
class Page:
    comments: list[Comment]
    next_cursor: str | None


class StoreUnavailable(Exception):
    """The store cannot be reached right now; the client may retry."""


class InvalidCursor(ValueError):
    """The cursor was not issued by this store."""


class CommentStore(Protocol):
    def add(self, content_id: int, email: str, comment: str) -> None: ...

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page: ...

    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot serve requests."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SQLiteStore:
    """SQLite in WAL mode: no server, durable, safe for several processes on one host."""

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS comments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            content_id INTEGER NOT NULL,
            email TEXT NOT NULL,
            comment TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS comments_by_content ON comments (content_id, id);
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(
                f"cannot create the comment store {path} ({exc.strerror}): set API_COMMENTS_STORE_URL"
            ) from exc
        self._connection().executescript(self._SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: sqlite3 connections must not
        # cross threads, nor survive a fork (gunicorn forks its workers).
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a crash of any process; only a power loss
            # can drop the last commits, which an fsync per comment would not be worth.
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def add(self, content_id: int, email: str, comment: str) -> None:
        try:
            self._connection().execute(
                "INSERT INTO comments (content_id, email, comment, created_at) VALUES (?, ?, ?, ?)",
                (content_id, email, comment, _now()),
            )
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page:
        if cursor is not None and not cursor.isdigit():
            raise InvalidCursor(cursor)
        try:
            rows = (
                self._connection()
                .execute(
                    "SELECT id, email, comment, created_at FROM comments"
                    " WHERE content_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (content_id, int(cursor or 0), limit + 1),
                )
                .fetchall()
            )
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc
        next_cursor = str(rows[limit - 1][0]) if len(rows) > limit else None
        return Page([Comment(*row[1:]) for row in rows[:limit]], next_cursor)

    def ping(self) -> None:
        try:
            self._connection().execute("SELECT 1 FROM comments LIMIT 1")
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc


class RedisStore:
    """One Redis stream per content id: XADD is atomic and stream ids are the cursor."""

    _STREAM_ID = re.compile(r"\d+-\d+")

    def __init__(self, url: str) -> None:
        self.url = url
        self._redis = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=1,
            socket_timeout=2,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=2),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )

    @staticmethod
    def _key(content_id: int) -> str:
        return f"comments:{content_id}"

    def add(self, content_id: int, email: str, comment: str) -> None:
        fields = {"email": email, "comment": comment, "created_at": _now()}
        try:
            self._redis.xadd(self._key(content_id), fields)  # type: ignore[arg-type]
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc

    def page(self, content_id: int, limit: int, cursor: str | None) -> Page:
        if cursor is not None and not self._STREAM_ID.fullmatch(cursor):
            raise InvalidCursor(cursor)
        start = f"({cursor}" if cursor else "-"
        try:
            entries = cast(
                list[tuple[str, dict[str, str]]],
                self._redis.xrange(self._key(content_id), min=start, max="+", count=limit + 1),
            )
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc
        next_cursor = entries[limit - 1][0] if len(entries) > limit else None
        comments = [Comment(f["email"], f["comment"], f["created_at"]) for _, f in entries[:limit]]
        return Page(comments, next_cursor)

    def ping(self) -> None:
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"redis: {exc}") from exc


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

"""Run api-comments (or any WSGI app) under its server, Granian, with the settings the image uses."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import requests

from ops import REPO

DEFAULT_STORE = f"sqlite:///{REPO / '.data' / 'comments.db'}"


def server_command(
    *, port: int, workers: int, store: str | None = None, wsgi_app: str | None = None, threads: int = 4
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve ``wsgi_app`` (api-comments by default) as the
    image does (`python -m api_comments.server`, app/Dockerfile)."""
    argv = [sys.executable, "-m", "api_comments.server", *([wsgi_app] if wsgi_app else [])]
    env = {
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SERVER_WORKERS": str(workers),
        "SERVER_THREADS": str(threads),
        "API_COMMENTS_STORE_URL": store or DEFAULT_STORE,
    }
    return argv, env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alive(pid: int) -> bool:
    """Whether ``pid`` runs; a child of this process that exited is reaped, not a zombie."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return False
    except ChildProcessError:
        pass  # not this process's child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_recorded(pid_path: Path, timeout: float) -> bool:
    """Stop the background process whose pid ``pid_path`` records: SIGTERM, then SIGKILL if it
    still runs after ``timeout`` seconds. True if one was running."""
    if not pid_path.exists():
        return False
    pid = int(pid_path.read_text())
    pid_path.unlink()
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.1)
    return True


class BackgroundProcess:
    """A server started in the background, ready once ``ready_url`` answers 200."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        ready_url: str,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.argv, self.ready_url, self.timeout = list(argv), ready_url, timeout
        self.env = {**os.environ, **(env or {})}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BackgroundProcess:
        output = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.argv[0]} exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                if requests.get(self.ready_url, timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"{self.ready_url} did not answer 200 within {self.timeout:.0f} s")

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.argv[0]} was not started")
        return self.process.pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> BackgroundProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_in_background(
    *,
    workers: int = 2,
    store: str | None = None,
    wsgi_app: str | None = None,
    log_path: Path | None = None,
    settings: Mapping[str, str] | None = None,
) -> tuple[BackgroundProcess, str]:
    """The server on a free loopback port, with ``settings`` added to its environment;
    returns the (unstarted) process and its base URL."""
    port = free_port()
    argv, env = server_command(port=port, workers=workers, store=store, wsgi_app=wsgi_app)
    env.update(settings or {})
    base = f"http://127.0.0.1:{port}"
    ready = f"{base}/health"
    return BackgroundProcess(argv, ready_url=ready, env=env, log_path=log_path), base


@contextmanager
def given_or_local(host: str, store: Path, log_path: Path | None = None) -> Iterator[str]:
    """``host`` as given; without one, a local api-comments (SQLite at ``store``) for the block."""
    if host:
        yield host
        return
    server, url = serve_in_background(store=f"sqlite:///{store}", log_path=log_path)
    with server:
        yield url

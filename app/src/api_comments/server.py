"""Serve api-comments with Granian (docs/adr/0014): `python -m api_comments.server`.

HTTP is parsed by Granian's Rust runtime, so a slow client costs a connection, not a Python
thread; complete requests go to a pool of Python threads in each worker process. Settings
come from the environment (12-factor):

| variable | default | meaning |
|---|---|---|
| `HOST`, `PORT` | `0.0.0.0`, `8000` | where to listen |
| `SERVER_WORKERS` | `1` | worker processes: one per vCPU (docs/adr/0016) |
| `SERVER_THREADS` | `4` | Python threads per worker running requests |
| `SERVER_HEADER_READ_TIMEOUT` | `10` | seconds a client may take to send its headers |
| `SERVER_DRAIN_SECONDS` | `0` | seconds a first SIGTERM goes on serving, then the graceful stop (ECS: 20) |
| `SERVER_GRACEFUL_TIMEOUT` | `25` | seconds in-flight requests then get (ECS waits the drain plus this: 45) |
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading


def prepare_metrics_directory(argv: list[str]) -> None:
    """One directory of metric files per run, shared by the workers (prometheus_client's
    multiprocess mode), emptied first: stale files would add old workers' counts. Granian's
    workers start with the environment this process started with, so without a directory
    given the process starts again with one."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        environ = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="api-comments-metrics-")}
        os.execve(sys.executable, [sys.executable, "-m", "api_comments.server", *argv], environ)  # noqa: S606 - the same program again
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def main(argv: list[str] | None = None) -> None:
    """Serve api-comments, or the WSGI app named as `module:attribute` in ``argv`` (the
    benchmark's ceiling) with the same settings."""
    argv = argv if argv is not None else sys.argv[1:]
    prepare_metrics_directory(argv)
    target = argv or ["api_comments:create_app"]
    from granian import Granian
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings

    from .logs import logging_config

    environ = os.environ
    header_seconds = int(environ.get("SERVER_HEADER_READ_TIMEOUT", "10"))

    class DrainingServer(Granian):  # type: ignore[misc,valid-type]
        """A first SIGTERM (or Ctrl-C) keeps serving for SERVER_DRAIN_SECONDS, then stops
        gracefully; a second one stops at once. Traefik's ECS provider only sees a stopped task
        gone at its next refresh (15 s, 02-traefik): until then it still sends requests, and a
        task that stopped listening at once would answer them 502."""

        draining = False

        def signal_handler_interrupt(self, *args: object, **kwargs: object) -> None:
            drain = float(environ.get("SERVER_DRAIN_SECONDS", "0"))
            if drain > 0 and not self.draining:
                self.draining = True
                threading.Timer(drain, super().signal_handler_interrupt).start()
                return
            super().signal_handler_interrupt(*args, **kwargs)

    DrainingServer(
        target[0],
        factory=target[0] == "api_comments:create_app",
        interface=Interfaces.WSGI,
        address=environ.get("HOST", "0.0.0.0"),  # noqa: S104 - inside the container, by design
        port=int(environ.get("PORT", "8000")),
        workers=int(environ.get("SERVER_WORKERS", "1")),
        blocking_threads=int(environ.get("SERVER_THREADS", "4")),
        http1_settings=HTTP1Settings(header_read_timeout=1000 * header_seconds),
        workers_kill_timeout=int(environ.get("SERVER_GRACEFUL_TIMEOUT", "25")),
        respawn_failed_workers=True,
        log_dictconfig=logging_config(),
        log_access=False,  # the app logs every request as one JSON line
    ).serve()


if __name__ == "__main__":
    main()

"""The command surface of the platform repo: `invoke --list` shows every task.

Each task parses its arguments and calls the `ops` package, where the logic lives.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager

from invoke import Collection, Context, Exit, task

from ops import REPO
from ops.tools import MissingTool


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the tooling's expected failures into one line and a non-zero exit."""
    try:
        yield
    except (MissingTool, ValueError) as exc:
        raise Exit(f"error: {exc}", code=1) from None


@task(
    help={
        "port": "port to listen on (default 8000)",
        "host": "address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)",
        "workers": "gunicorn worker processes (default 2)",
        "store": "comment store URL: sqlite:///path.db (default .data/comments.db) or redis://host:6379/0",
    }
)
def serve(c: Context, port: int = 8000, host: str = "127.0.0.1", workers: int = 2, store: str = "") -> None:
    """Run api-comments under gunicorn in the foreground (Ctrl-C stops it)."""
    from ops.server import gunicorn_command

    with clear_errors():
        argv, env = gunicorn_command(port=port, workers=workers, store=store or None)
    env["HOST"] = host
    print(f"api-comments on http://{host}:{port} (store {env['API_COMMENTS_STORE_URL']}); Ctrl-C stops it")
    c.run(shlex.join(argv), env=env, echo=True, pty=False)


@task(
    help={
        "connections": "concurrent connections (default 50)",
        "seconds": "seconds per run (default 5)",
        "rounds": "interleaved rounds; medians are reported (default 3)",
        "write": "write the figures into docs/performance.md (default on; --no-write to skip)",
    }
)
def bench(c: Context, connections: int = 50, seconds: int = 5, rounds: int = 3, write: bool = True) -> None:
    """Benchmark api-comments GET/POST against a minimal WSGI app under the same gunicorn."""
    from ops.bench import markdown, run_benchmark, write_section

    command = f"invoke bench --connections {connections} --seconds {seconds} --rounds {rounds}"
    if c.config.run.dry:
        print(f"would run: {command}")
        return
    with clear_errors():
        report = run_benchmark(connections=connections, seconds=seconds, rounds=rounds)
    text = markdown(report, command)
    print(text)
    if write:
        write_section(REPO / "docs" / "performance.md", "bench", text)
        print("figures written to docs/performance.md")


@task
def lock(c: Context) -> None:
    """Re-pin api-comments' runtime dependencies into app/requirements.txt."""
    from ops.lock import write_app_requirements

    if c.config.run.dry:
        print("would install ./app into a clean virtualenv and write app/requirements.txt")
        return
    write_app_requirements()


ns = Collection(serve, bench, lock)

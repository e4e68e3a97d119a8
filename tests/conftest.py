"""The lanes (tests/unit, tests/integration, tests/e2e) and the fixtures they share: real
servers (redis-server, api-comments) on loopback ports and the session's emulator."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from api_comments import create_app
from flask import Flask
from flask.testing import FlaskClient

from ops import emulator
from ops.aws import AwsContext
from ops.server import free_port
from ops.tools import require

LANES = ("unit", "integration", "e2e")  # tests/<lane>/, each test marked with its directory's name

# The platform's chain, on its one xdist worker: least privilege on the freshly applied
# platform, then the platform served, then plans, deploys and the destroy.
PLATFORM_CHAIN = ("tests/e2e/test_least_privilege.py", "tests/e2e/served/", "tests/e2e/test_platform.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test is marked with its lane, the directory it is in (`-m unit`, `-m "not e2e"`); a
    test outside the lanes is an error. The order is collection order, except that the platform's
    chain runs in PLATFORM_CHAIN's order (a directory would otherwise come before the modules
    beside it)."""
    for item in items:
        lane = item.nodeid.split("/")[1] if item.nodeid.startswith("tests/") else ""
        if lane not in LANES:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in one of tests/{{{','.join(LANES)}}}/")
        item.add_marker(lane)

    def place(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(PLATFORM_CHAIN) if item.nodeid.startswith(prefix)), -1)

    items.sort(key=place)


class RedisServer:
    """A real redis-server. By default with an append-only file fsynced on every write, so a
    restart keeps what it acknowledged; `elasticache=True` runs it as ElastiCache does (no
    append-only file, no snapshots), optionally as the replica of another."""

    def __init__(self, directory: Path, *, elasticache: bool = False, replica_of: int | None = None) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.elasticache, self.replica_of = elasticache, replica_of

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        durability = (
            ["--appendonly", "no"] if self.elasticache else ["--appendonly", "yes", "--appendfsync", "always"]
        )
        argv = [require("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--dir", str(self.directory), *durability, "--protected-mode", "yes"]  # fmt: skip
        if self.replica_of:
            argv += ["--replicaof", "127.0.0.1", str(self.replica_of)]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.05)
        raise TimeoutError(f"redis-server on port {self.port} did not start; see {self.directory}/redis.log")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def crash(self) -> None:
        """kill -9: what a lost node does, nothing flushed."""
        if self.process:
            self.process.kill()
            self.process.wait(timeout=10)

    def flush(self) -> None:
        redis.Redis(port=self.port).flushall()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "redis"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'comments.db'}"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def app(store_url: str) -> Flask:
    return create_app({"STORE_URL": store_url, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def emulator_port() -> Iterator[int]:
    """The project's emulator (moto with its patches) on a free loopback port: the one
    emulator of the session (each xdist worker has its own)."""
    port = free_port()
    emulator.start_background(port)
    yield port
    emulator.stop_background(port)


@pytest.fixture(scope="session")
def aws(emulator_port: int) -> AwsContext:
    """The AWS context of the session's emulator: `aws.client("ecs")` and friends."""
    return AwsContext.from_environ(emulator.client_env(emulator_port))

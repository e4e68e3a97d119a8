"""The embedded AWS emulator: moto's server, on loopback, with the gaps Terraform hits closed.

The Terraform code is pure AWS (DESIGN decision 1). Where moto lacks an API that the
AWS provider calls, `patches` adds it to moto, never to the `.tf` files; `iam` makes it
authorise the principals under test as IAM does. Run it with `python -m ops.emulator`;
`invoke up` starts it in the background.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from ops import REPO
from ops.server import stop_recorded
from ops.settings import EMULATOR_PORT

HOST = "127.0.0.1"
DEFAULT_ACCOUNT = "123456789012"  # moto's account for the emulator's own keys
STATE_DIR = REPO / ".data" / "emulator"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",  # pragma: allowlist secret (the emulator accepts any key)
}


def endpoint(port: int = EMULATOR_PORT) -> str:
    return f"http://{HOST}:{port}"


def task_network(port: int) -> ipaddress.IPv4Network:
    """The loopback network whose addresses the emulator gives its tasks (one per task, where
    the local data plane runs it): a /16 of its own per emulator port, so that a test session's
    emulator and the platform of `invoke up` do not hand out the same addresses."""
    return ipaddress.IPv4Network(f"127.{port % 200 + 20}.0.0/16")


@dataclass
class Knobs:
    """What the emulator's patches read that no AWS API sets, in the emulator's process: the
    loopback network its tasks' addresses come from, and how many tasks of a revision that never
    ran fail to start (a broken image; PUT /_platform/ecs/failed-tasks)."""

    task_network: ipaddress.IPv4Network = field(default_factory=lambda: task_network(EMULATOR_PORT))
    failed_tasks: int = 0


KNOBS = Knobs()


def fail_new_tasks(port: int, count: int) -> None:
    """Make the tasks of the next revisions deployed fail to start (a broken image), 0 to stop."""
    response = requests.put(
        f"{endpoint(port)}/_platform/ecs/failed-tasks", params={"count": count}, timeout=10
    )
    response.raise_for_status()


def client_env(port: int = EMULATOR_PORT, region: str = "us-east-1") -> dict[str, str]:
    """What Terraform, boto3 and ecs-deploy need to talk to the emulator instead of AWS."""
    return {
        "AWS_ENDPOINT_URL": endpoint(port),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        **DUMMY_CREDENTIALS,
    }


_patched = False


def platform_routes(app: Any) -> Any:
    """moto's WSGI app plus the emulator's own routes under /_platform/:
    - GET/DELETE /_platform/iam/calls: the authorisations made for principals under test;
    - GET /_platform/ecs/credentials/<role>: a task role's credentials as the ECS agent serves
      them to a container (AWS_CONTAINER_CREDENTIALS_FULL_URI), for a role trusting ECS tasks;
    - PUT /_platform/ecs/failed-tasks?count=N: the next revisions' tasks fail to start (a broken
      image; the ECS scheduler patch reads it), 0 to stop;
    - PUT/DELETE /_platform/ecs/agent?region=R: a local agent (ops.dataplane) runs the tasks from
      now on, or no longer; PUT /_platform/ecs/task-health?task=ARN&status=HEALTHY|UNHEALTHY|EXITED
      is what it saw of a task (ops.emulator.scheduler)."""
    from moto.ecs.models import ecs_backends
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends
    from werkzeug.wrappers import Request, Response

    from . import iam, scheduler

    def routes(environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if not request.path.startswith("/_platform/"):
            return app(environ, start_response)
        account, region = DEFAULT_ACCOUNT, request.args.get("region", "us-east-1")
        if request.path == "/_platform/iam/calls":
            if request.method == "DELETE":
                iam.LEDGER.clear()
            response = Response(iam.calls_json(), content_type="application/json")
        elif request.path == "/_platform/ecs/failed-tasks" and request.method == "PUT":
            KNOBS.failed_tasks = int(request.args.get("count", "0"))
            response = Response(status=204)
        elif request.path == "/_platform/ecs/agent" and request.method in ("PUT", "DELETE"):
            scheduler.attach(ecs_backends[account][region], request.method == "PUT")
            response = Response(status=204)
        elif request.path == "/_platform/ecs/task-health" and request.method == "PUT":
            scheduler.report(ecs_backends[account][region], request.args["task"], request.args["status"])
            response = Response(status=204)
        elif request.path.startswith("/_platform/ecs/credentials/"):
            role = request.path.rsplit("/", 1)[-1]
            try:
                body = iam.container_credentials(
                    sts_backends[account]["global"], iam_backends[account]["aws"], role, region
                )
                response = Response(json.dumps(body), content_type="application/json")
            except PermissionError as exc:
                response = Response(
                    json.dumps({"message": str(exc)}), status=403, content_type="application/json"
                )
        else:
            response = Response(status=404)
        return response(environ, start_response)

    return routes


def start_in_process(port: int) -> Any:
    """Apply the patches (once) and start moto's server in a thread of this process."""
    global _patched
    KNOBS.task_network = task_network(port)
    # IAM's AWS managed policies exist, as in an account (moto's own setting, its config of record).
    from moto.core.config import default_user_config

    default_user_config["iam"] = {"load_aws_managed_policies": True}
    from moto.moto_server.threaded_moto_server import ThreadedMotoServer
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    if not _patched:
        from . import iam
        from .patches import PATCHES

        for patch in PATCHES:
            patch()
        iam.install()
        _patched = True

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = platform_routes(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(HOST, port, app, True, request_handler=MotoRequestHandler)
            self._server_ready_event.set()
            self._server.serve_forever()

    server = Server(ip_address=HOST, port=port, verbose=False)
    server.start()
    return server


def serve(port: int) -> None:
    """Run the patched moto server in the foreground until SIGTERM/SIGINT."""
    server = start_in_process(port)
    print(f"emulator listening on {endpoint(port)}", flush=True)
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopped:
        time.sleep(0.2)
    server.stop()


def is_running(port: int = EMULATOR_PORT) -> bool:
    try:
        return requests.get(f"{endpoint(port)}/moto-api/", timeout=1).ok
    except requests.ConnectionError:
        return False


def pid_file(port: int) -> Path:
    return STATE_DIR / f"emulator-{port}.pid"


def start_background(port: int = EMULATOR_PORT, timeout: float = 30.0) -> bool:
    """Start the emulator unless one answers on ``port``; True if this call started it."""
    if is_running(port):
        return False
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    log = (STATE_DIR / f"emulator-{port}.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.emulator", "--port", str(port)],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # outlives the invoke process that started it
    )
    pid_file(port).write_text(str(process.pid))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}; see {log.name}")
        if is_running(port):
            return True
        time.sleep(0.2)
    raise TimeoutError(
        f"the emulator did not answer on {endpoint(port)} within {timeout:.0f} s; see {log.name}"
    )


def stop_background(port: int = EMULATOR_PORT) -> bool:
    """Stop the emulator this repo started on ``port``; True if one was stopped."""
    return stop_recorded(pid_file(port), timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=EMULATOR_PORT)
    serve(parser.parse_args().port)


if __name__ == "__main__":
    main()

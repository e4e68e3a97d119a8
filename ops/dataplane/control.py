"""Start, stop and read the background agent (for the tasks and tests)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ops import REPO
from ops.aws import AwsContext
from ops.dataplane import STATE_DIR, DataPlaneError, Fronts
from ops.dataplane.routes import routes
from ops.server import alive, stop_recorded
from ops.tools import require


def pid_file(state_dir: Path) -> Path:
    return state_dir / "dataplane.pid"


def status(state_dir: Path = STATE_DIR) -> dict[str, Any]:
    path = state_dir / "status.json"
    return json.loads(path.read_text()) if path.exists() else {}


def is_running(state_dir: Path = STATE_DIR) -> bool:
    path = pid_file(state_dir)
    return path.exists() and alive(int(path.read_text()))


def start_background(emulator_port: int, cluster: str, fronts: Fronts, state_dir: Path = STATE_DIR) -> bool:
    """Start the data plane of ``cluster`` unless it runs; True if this call started it."""
    if is_running(state_dir):
        return False
    for tool in ("haproxy", "redis-server", "traefik"):
        require(tool)
    state_dir.mkdir(parents=True, exist_ok=True)
    (state_dir / "status.json").unlink(missing_ok=True)
    log = (state_dir / "dataplane.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.dataplane", "--emulator-port", str(emulator_port), "--cluster", cluster,
         "--public-port", str(fronts.public), "--internal-port", str(fronts.internal),
         "--state-dir", str(state_dir)],
        cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    pid_file(state_dir).write_text(str(process.pid))
    return True


def stop_background(state_dir: Path = STATE_DIR, timeout: float = 60) -> bool:
    return stop_recorded(pid_file(state_dir), timeout)


def wait_until_served(
    aws: AwsContext, progress: Callable[[str], None], timeout: float = 180, state_dir: Path = STATE_DIR,
    fronts: Fronts | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Wait until every RUNNING task of the data plane's cluster is healthy here (or is one that
    nothing here can run) and every service's deployment has COMPLETED, then (given the ALBs'
    ports) until Traefik routes each router of the services that run here; its status."""
    ecs = aws.client("ecs")
    deadline = time.monotonic() + timeout
    said = ""
    while True:
        waiting, now = [], status(state_dir)
        healthy = {t["task"] for t in now.get("tasks", []) if t["health"] == "HEALTHY"} | set(
            now.get("not_run", {})
        )
        if now:
            cluster = now["cluster"]
            arns = ecs.list_services(cluster=cluster)["serviceArns"]
            for service in ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []:
                tasks = ecs.list_tasks(cluster=cluster, serviceName=service["serviceName"],
                                       desiredStatus="RUNNING")["taskArns"]  # fmt: skip
                if service["deployments"][0].get("rolloutState") != "COMPLETED" or not set(tasks) <= healthy:
                    waiting.append(service["serviceName"])
        if now and not waiting and fronts is not None:  # and Traefik routes what runs here
            running = {t["group"].removeprefix("service:") for t in now.get("tasks", [])}
            waiting = [f"Traefik to route {r.router}" for r in routes(aws, now["cluster"], fronts)
                       if r.service in running and not r.served()]  # fmt: skip
        if now and not waiting:
            return now
        line = f"[data plane] waiting for {', '.join(sorted(waiting)) or 'its first report'}"
        if line != said:
            progress(line)
            said = line
        if time.monotonic() > deadline:
            raise DataPlaneError(f"{line} after {timeout:.0f} s: see {state_dir / 'logs'}")
        time.sleep(1)

"""The sidecar: refresh every interval until SIGTERM (`ecs-discovery`, configured by its environment)."""

from __future__ import annotations

import logging
import os
import signal
import time
from pathlib import Path

from ecs_discovery.discovery import Discovery
from ecs_discovery.output import write_if_changed

log = logging.getLogger("ecs_discovery")


def run(
    discovery: Discovery, output: Path, interval: float, *, heartbeat: Path | None = None, once: bool = False
) -> None:
    """Refresh every ``interval`` seconds until SIGTERM; each success touches ``heartbeat``."""
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        started = time.monotonic()
        try:
            groups = discovery.refresh()
            changed = write_if_changed(output, groups)
        except Exception:  # a failed refresh or write keeps the last good file and is retried
            log.exception(
                "refresh failed; %s keeps the last good targets; retrying in %g s", output, interval
            )
        else:
            if heartbeat:
                heartbeat.touch()
            log.info("%d targets%s in %.2f s", len(groups), " (file updated)" if changed else "",
                     time.monotonic() - started)  # fmt: skip
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s"
    )
    clusters = [c.strip() for c in os.environ.get("ECS_CLUSTER", "").split(",") if c.strip()]
    if not clusters:
        raise SystemExit("ECS_CLUSTER is not set: give the cluster name (or several, comma-separated)")
    heartbeat = os.environ.get("HEARTBEAT_FILE")
    run(
        Discovery(clusters),
        Path(os.environ.get("OUTPUT_FILE", "/targets/ecs.json")),
        float(os.environ.get("INTERVAL_SECONDS", "30")),
        heartbeat=Path(heartbeat) if heartbeat else None,
        once=os.environ.get("RUN_ONCE") == "1",
    )

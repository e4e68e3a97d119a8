"""Pin api-comments' runtime dependencies for the image (app/requirements.txt)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from ops import REPO

APP = REPO / "app"
HEADER = "# Pinned runtime dependencies of api-comments for the image; regenerate with: invoke lock\n"


def freeze_app_requirements() -> str:
    """Install ./app into a clean virtualenv and return its pinned requirements."""
    with tempfile.TemporaryDirectory(prefix="lock-") as tmp:
        venv.create(tmp, with_pip=True)
        pip = [str(Path(tmp) / "bin" / "python"), "-m", "pip", "--quiet"]
        subprocess.run([*pip, "install", str(APP)], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--exclude", "api-comments"], check=True, capture_output=True, text=True
        ).stdout
    return HEADER + frozen


def write_app_requirements() -> Path:
    target = APP / "requirements.txt"
    target.write_text(freeze_app_requirements())
    print(f"wrote {target.relative_to(REPO)} with {sys.version.split()[0]}")
    return target

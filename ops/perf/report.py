"""docs/performance.md: each benchmark's figures between its section's markers."""

from __future__ import annotations

from pathlib import Path

from ops import REPO

PERFORMANCE = REPO / "docs" / "performance.md"


def write_section(document: Path, section: str, body: str) -> None:
    """Replace the text between ``<!-- section:start -->`` and ``<!-- section:end -->``."""
    start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    text = document.read_text()
    before, found, rest = text.partition(start)
    if not found:
        raise ValueError(f"{document} has no {start} marker")
    _, found, after = rest.partition(end)
    if not found:
        raise ValueError(f"{document} has no {end} marker")
    document.write_text(f"{before}{start}\n{body.rstrip()}\n{end}{after}")

"""The file_sd file, written atomically and only when it changes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_if_changed(path: Path, groups: list[dict[str, Any]]) -> bool:
    """Write the file through a temporary file and a rename (Prometheus never reads half a
    file), and only when the content differs; True when it was written."""
    content = json.dumps(groups, indent=2, sort_keys=True) + "\n"
    if path.exists() and path.read_text() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(content)
            handle.close()
            temporary.chmod(0o644)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return True

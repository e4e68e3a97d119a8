"""A task's own addresses, ports and paths, made its places here."""

from __future__ import annotations

import os
import re

ROOT = os.geteuid() == 0


def host_port(port: int) -> int:
    """A port below 1024 needs root; elsewhere it is served 10000 higher (80 at 10080)."""
    return port if ROOT or port >= 1024 else port + 10000


LOOPBACK = re.compile(r"(?<![\w.])(?:0\.0\.0\.0|127\.0\.0\.1|localhost)(?::(\d{1,5}))?(?=[:/'\"\s]|$)")
BARE_PORT = re.compile(r"(?:^|(?<=[=\s']))(?<!\d):(\d{1,5})\b")


def localize(text: str, address: str) -> str:
    """A container of an awsvpc task has the task's network to itself: `localhost`, 127.0.0.1,
    0.0.0.0 and an address without a host (`:8082`) all mean the task's own address. Here the
    task is its loopback address, so those become it (and a port below 1024, see host_port)."""

    def own(match: re.Match[str]) -> str:
        port = match.group(1)
        return f"{address}:{host_port(int(port))}" if port else address

    return BARE_PORT.sub(own, LOOPBACK.sub(own, text))


def relocate(text: str, places: dict[str, str]) -> str:
    """A container has its own filesystem: its /tmp, its task's volumes at their mount points,
    the image's executables. Here each of those paths (``places``: path in the container to
    what it is here) becomes its place on this machine, wherever it stands as a whole path."""
    if not places:
        return text
    names = "|".join(re.escape(path) for path in sorted(places, key=len, reverse=True))
    return re.sub(rf"(?<![\w./-])({names})(?=[/\s'\";:]|$)", lambda match: places[match[1]], text)


# --- The table: AWS endpoints to local servers ----------------------------------------------

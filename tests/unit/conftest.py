"""The unit lane starts no process and opens no connection: a test that tries is failed here,
with what it tried, so the lane stays what `nox -s unit` promises (tests/integration is the
place for it)."""

from __future__ import annotations

import socket
import subprocess
from typing import Any, NoReturn

import pytest


@pytest.fixture(autouse=True)
def no_processes_or_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(what: str) -> Any:
        def refused(*args: Any, **_: Any) -> NoReturn:
            raise AssertionError(
                f"a unit test {what} {args[1:2] or args[:1]}: it belongs in tests/integration"
            )

        return refused

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("started a process"))
    monkeypatch.setattr(socket.socket, "connect", refuse("opened a connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("opened a connection"))

"""The local receivers: where the local platform's Alertmanager notifies.

On AWS, 04-observability's Alertmanager posts to Slack's incoming webhook, PagerDuty's Events
API v2 and a dead man's switch. The local platform has no internet, so all three are one
recorder: an HTTP server that answers as each of them does (Slack `ok`, PagerDuty 202 and its
JSON) and appends every notification it receives to a JSON-lines journal, which `GET /` lists
(`?path=/slack` keeps those under a path).

local.tfvars names it `receivers.test` (a name reserved for testing, RFC 2606); the data plane
runs it beside the tasks and gives them its address for that name, as it gives them a local
redis-server for an ElastiCache endpoint.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOST = "receivers.test"
URL = f"http://{HOST}"


def journal_entries(journal: Path, path: str = "") -> list[dict[str, Any]]:
    """What the recorder received, oldest first; only under ``path`` when one is given."""
    if not journal.exists():
        return []
    entries = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return [entry for entry in entries if entry["path"].startswith(path)]


class Recorder(ThreadingHTTPServer):
    """The recorder on ``address`` (host, port; port 0: any free one), writing to ``journal``."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], journal: Path) -> None:
        self.journal = journal
        self.lock = threading.Lock()
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def record(self, path: str, body: Any) -> None:
        line = json.dumps({"received": time.time(), "path": path, "body": body})
        with self.lock, self.journal.open("a") as journal:
            journal.write(line + "\n")

    def start(self) -> Recorder:
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        threading.Thread(target=self.serve_forever, name="receivers", daemon=True).start()
        return self


class _Handler(BaseHTTPRequestHandler):
    server: Recorder

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        self.server.record(urlsplit(self.path).path, body)
        if self.path.startswith("/pagerduty/"):  # Events API v2: 202 and what it made of the event
            key = body.get("dedup_key", "") if isinstance(body, dict) else ""
            self._answer(202, "application/json", {"status": "success", "message": "Event processed",
                                                   "dedup_key": key})  # fmt: skip
        else:  # Slack's webhook answers a plain `ok`; a dead man's switch anything 2xx
            self._answer(200, "text/plain", "ok")

    def do_GET(self) -> None:
        prefix = parse_qs(urlsplit(self.path).query).get("path", [""])[0]
        self._answer(200, "application/json", journal_entries(self.server.journal, prefix))

    def _answer(self, status: int, kind: str, body: Any) -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # the journal is the log
        pass

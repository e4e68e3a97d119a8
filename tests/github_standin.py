"""A real HTTP server standing in for the part of GitHub's REST API that plan comments use:
list a pull request's comments (paginated with a Link header, as GitHub pages them),
create a comment, update a comment. It checks the token and the JSON body like GitHub does.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIST = re.compile(r"^/repos/(?P<repo>[\w.-]+/[\w.-]+)/issues/(?P<number>\d+)/comments$")
UPDATE = re.compile(r"^/repos/(?P<repo>[\w.-]+/[\w.-]+)/issues/comments/(?P<id>\d+)$")


@dataclass
class Comment:
    id: int
    repo: str
    number: int
    body: str
    user: str

    def as_json(self, base: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "body": self.body,
            "user": {"login": self.user},
            "html_url": f"{base}/{self.repo}/pull/{self.number}#issuecomment-{self.id}",
        }


@dataclass
class GitHubStandIn:
    token: str = "test-token"  # a fixture's token, checked by the fake server
    comments: list[Comment] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    next_id: int = 1000

    def add(self, repo: str, number: int, body: str, user: str = "someone") -> Comment:
        self.next_id += 1
        comment = Comment(self.next_id, repo, number, body, user)
        self.comments.append(comment)
        return comment

    def on_pull_request(self, repo: str, number: int) -> list[Comment]:
        return [c for c in self.comments if c.repo == repo and c.number == number]

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {standin.token}":
                    self.reply(401, {"message": "Bad credentials"})
                    return False
                return True

            def body(self) -> dict[str, Any] | None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = None
                if not isinstance(payload, dict) or not isinstance(payload.get("body"), str):
                    self.reply(422, {"message": "Invalid request: body is required"})
                    return None
                if len(payload["body"]) > 65536:
                    self.reply(422, {"message": "Validation Failed: body is too long (maximum is 65536)"})
                    return None
                return payload

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                standin.requests.append(("GET", self.path))
                match = LIST.match(parts.path)
                if not match:
                    self.reply(404, {"message": "Not Found"})
                    return
                if not self.authorized():
                    return
                query = parse_qs(parts.query)
                per_page = min(int(query.get("per_page", ["30"])[0]), 100)
                page = int(query.get("page", ["1"])[0])
                found = standin.on_pull_request(match["repo"], int(match["number"]))
                chunk = found[(page - 1) * per_page : page * per_page]
                headers = {}
                if page * per_page < len(found):
                    base = f"http://{self.headers['Host']}{parts.path}"
                    headers["Link"] = (
                        f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", '
                        f'<{base}?per_page={per_page}&page={-(-len(found) // per_page)}>; rel="last"'
                    )
                host = f"http://{self.headers['Host']}"
                self.reply(200, [c.as_json(host) for c in chunk], headers)

            def do_POST(self) -> None:
                standin.requests.append(("POST", self.path))
                match = LIST.match(urlsplit(self.path).path)
                if not match:
                    self.reply(404, {"message": "Not Found"})
                    return
                if not self.authorized() or (payload := self.body()) is None:
                    return
                comment = standin.add(match["repo"], int(match["number"]), payload["body"], "bot")
                self.reply(201, comment.as_json(f"http://{self.headers['Host']}"))

            def do_PATCH(self) -> None:
                standin.requests.append(("PATCH", self.path))
                match = UPDATE.match(urlsplit(self.path).path)
                found = [c for c in standin.comments if match and c.id == int(match["id"])]
                if not found:
                    self.reply(404, {"message": "Not Found"})
                    return
                if not self.authorized() or (payload := self.body()) is None:
                    return
                found[0].body = payload["body"]
                self.reply(200, found[0].as_json(f"http://{self.headers['Host']}"))

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"

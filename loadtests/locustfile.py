"""A realistic api-comments mix: mostly listings, some posts, many content ids (a few hot
ones), and some unknown ids that answer 404 by design.

    invoke perf.loadtest --host http://127.0.0.1:8000 --profile smoke
"""

from __future__ import annotations

import os
import random
from typing import Any

import reporting  # noqa: F401  (the final figures for `invoke perf.loadtest`)
from locust import FastHttpUser, between, events, task

CONTENT_IDS = int(os.environ.get("LOADTEST_CONTENT_IDS", "1000"))
HOT_IDS = 20  # a few pieces of content get most of the traffic
UNKNOWN_BASE = 10_000_000  # ids no one posts to


@events.test_start.add_listener
def seed(environment: Any, **_: Any) -> None:
    """Give the hot content a comment each, so their listings answer 200 from the start."""
    import requests

    for content in range(1, HOT_IDS + 1):
        comment = {"email": "seed@example.com", "comment": "seed", "content_id": content}
        requests.post(f"{environment.host}/api/comment/new", json=comment, timeout=10)


def content_id() -> int:
    return random.randint(1, HOT_IDS) if random.random() < 0.5 else random.randint(1, CONTENT_IDS)


class Reader(FastHttpUser):
    """A visitor: reads comments, sometimes writes one."""

    wait_time = between(0.05, 0.5)

    @task(16)
    def list_comments(self) -> None:
        with self.client.get(f"/api/comment/list/{content_id()}", name="/api/comment/list/[id]",
                             catch_response=True) as response:  # fmt: skip
            if response.status_code == 404:  # content no one commented on yet
                response.success()

    @task(3)
    def post_comment(self) -> None:
        self.client.post(
            "/api/comment/new",
            json={"email": f"user{random.randint(1, 5000)}@example.com",
                  "comment": "a load-test comment " + "x" * random.randint(0, 200),
                  "content_id": content_id()},
        )  # fmt: skip

    @task(1)
    def list_unknown(self) -> None:
        unknown = UNKNOWN_BASE + random.randint(1, 1000)
        name = "/api/comment/list/[unknown]"
        with self.client.get(f"/api/comment/list/{unknown}", name=name, catch_response=True) as response:
            if response.status_code == 404:
                response.success()
            else:
                response.failure(f"an unknown id answered {response.status_code}, not 404")

"""The design api-comments replaces, written here as the benchmark's baseline (the original's
code itself is not copied): Flask, the comments in a dict of each process, the request
metrics of prometheus-flask-exporter, and plain-text log lines at DEBUG, one per request.

As deployed it ran on gunicorn with one sync worker (`invoke perf.bench` runs it so, and under
api-comments' own server settings). Each process starts with the listing the benchmark reads
(20 comments of content 1): a dict per process could not share one.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from prometheus_flask_exporter import PrometheusMetrics

# Its own text lines at DEBUG, whichever server configured the root logger.
log = logging.getLogger("original")
log.setLevel(logging.DEBUG)
log.propagate = False
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
log.addHandler(_handler)

app = Flask(__name__)
PrometheusMetrics(app)
comments: dict[int, list[dict[str, str]]] = {
    1: [{"email": f"reader{n}@example.com", "comment": f"comment {n}"} for n in range(20)]
}


@app.post("/api/comment/new")
def new_comment():  # type: ignore[no-untyped-def]
    body = request.get_json()
    content_id = body["content_id"]
    comments.setdefault(content_id, []).append({"email": body["email"], "comment": body["comment"]})
    log.debug("new comment for content %s", content_id)
    return jsonify(status="SUCCESS", message=f"comment created and associated with content_id {content_id}")


@app.get("/api/comment/list/<int:content_id>")
def list_comments(content_id: int):  # type: ignore[no-untyped-def]
    log.debug("listing content %s", content_id)
    if content_id not in comments:
        return jsonify(status="NOT-FOUND", message=f"content_id {content_id} not found"), 404
    return jsonify(comments[content_id])


@app.get("/health")
def health():  # type: ignore[no-untyped-def]
    return jsonify(status="OK")

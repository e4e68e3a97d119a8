"""The comments API: the original contract, validated and paginated."""

from __future__ import annotations

import random

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from werkzeug.exceptions import UnprocessableEntity

from .body import json_body
from .store import GENERATED_KEY_PREFIX, CommentStore, InvalidCursor, KeyReused, StoreUnavailable
from .validation import ValidationError, parse_content_id, parse_limit, parse_new_comment

bp = Blueprint("comments", __name__)


def store() -> CommentStore:
    return current_app.extensions["comment_store"]  # type: ignore[no-any-return]


def random_id() -> str:
    """128 random bits in hex, as uuid4().hex but without a system call per request: the
    Mersenne Twister, seeded from the OS and reseeded in every forked worker, makes
    collisions as unlikely; the ids name requests, they guard nothing."""
    return f"{random.getrandbits(128):032x}"


def idempotency_key() -> str:
    """The client's Idempotency-Key (a retry with the same key stores the comment once), or a
    key of this request alone, so the store's own retries never store it twice."""
    key = request.headers.get("Idempotency-Key", "")
    if 0 < len(key) <= 255 and key.isascii() and key.isprintable():
        return f"client:{key}"
    return f"{GENERATED_KEY_PREFIX}{random_id()}"


@bp.post("/api/comment/new")
def new_comment() -> Response:
    data = json_body(request, current_app.config["MAX_CONTENT_LENGTH"])
    new = parse_new_comment(data, current_app.config["COMMENT_MAX_LENGTH"])
    try:
        store().add(new.content_id, new.email, new.comment, idempotency_key())
    except KeyReused as exc:
        raise UnprocessableEntity(
            "Idempotency-Key was already used for another comment: use a new key for a new comment"
        ) from exc
    current_app.extensions["comments_created"].inc()
    return jsonify(
        status="SUCCESS",
        message=f"comment created and associated with content_id {new.content_id}",
    )


@bp.get("/api/comment/list/<content_id>")
def list_comments(content_id: str) -> Response:
    cid = parse_content_id(content_id)
    limit = parse_limit(request.args.get("limit"), current_app.config["LIST_MAX"])
    cursor = request.args.get("cursor")
    try:
        page = store().page(cid, limit, cursor)
    except InvalidCursor as exc:
        raise ValidationError("cursor is not valid: use the X-Next-Cursor of a previous page") from exc
    if not page.comments and cursor is None:
        response = jsonify(status="NOT-FOUND", message=f"content_id {cid} not found")
        response.status_code = 404
        return response
    response = jsonify(page.comments)
    if page.next_cursor:
        next_url = url_for(".list_comments", content_id=cid, limit=limit, cursor=page.next_cursor)
        response.headers["X-Next-Cursor"] = page.next_cursor
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return response


@bp.get("/health")
def health() -> Response:
    return jsonify(status="OK", message="process is alive")


@bp.get("/ready")
def ready() -> Response:
    try:
        store().ping()
    except StoreUnavailable as exc:
        # The store's address and error stay in the logs: /ready answers what, not where.
        current_app.logger.warning("not ready: %s", exc)
        response = jsonify(status="NOT-READY", message="comment store unavailable")
        response.status_code = 503
        return response
    return jsonify(status="READY", message="comment store reachable")

"""The request body, read as HTTP says it is: exactly Content-Length bytes or a well-formed
chunked body, never more than the limit, and strict JSON (RFC 8259: UTF-8, no NaN, no lone
surrogates; docs/adr/0013).

Werkzeug cuts a chunked body at the limit without saying so, and gives a body shorter than
its Content-Length (a client that gave up) as if it were whole; both would store a request
that should be refused, so the WSGI input is read here."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from .validation import ValidationError

CHUNK = 64 * 1024


class MalformedBody(BadRequest):
    """The body itself breaks HTTP: a bad chunk, or fewer bytes than announced."""


# What a server's input stream raises on a broken body (a bad chunk, a connection reset).
INPUT_ERRORS = (OSError, ValueError)


def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or a 400 (malformed), 411/413 (too large) that says why."""
    announced = request.content_length
    if announced is not None and announced > limit:
        raise RequestEntityTooLarge(f"request body is larger than {limit} bytes")
    stream = request.environ["wsgi.input"]
    wanted = limit + 1 if announced is None else announced
    parts: list[bytes] = []
    received = 0
    try:
        while received < wanted:
            part = stream.read(min(CHUNK, wanted - received))
            if not part:
                break
            parts.append(part)
            received += len(part)
    except INPUT_ERRORS as exc:
        raise MalformedBody(f"request body is malformed: {exc}") from exc
    if received > limit:
        raise RequestEntityTooLarge(f"request body is larger than {limit} bytes")
    if announced is not None and received < announced:
        raise MalformedBody(
            f"request body ended after {received} of the {announced} bytes of its Content-Length"
        )
    return b"".join(parts)


def json_body(request: Request, limit: int) -> Any:
    """The body as JSON, for a request that says it is JSON in UTF-8."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type must be application/json")
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"charset {charset} is not supported: send UTF-8 JSON (RFC 8259)")
    try:
        return orjson.loads(read_body(request, limit))
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"request body is not valid JSON: {exc}") from exc

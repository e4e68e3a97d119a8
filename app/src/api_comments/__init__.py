"""api-comments: a small Flask service that stores and lists comments per content id."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import Any

import orjson
from flask import Flask, Request, Response, g, jsonify, request
from flask.json.provider import JSONProvider
from prometheus_client import CollectorRegistry, Counter
from prometheus_flask_exporter import PrometheusMetrics
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from .api import bp, random_id
from .logs import configure_logging
from .store import OutcomeUnknown, StoreUnavailable, open_store
from .tracing import init_tracing
from .validation import ValidationError

log = logging.getLogger("api_comments")

PROBE_PATHS = frozenset({"/health", "/ready", "/metrics"})
UNTRACKED_PATHS = [f"^{path}$" for path in sorted(PROBE_PATHS)]
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


# HTTP's methods (RFC 9110 and PATCH): any other is "OTHER" wherever the app labels by
# method, so a client inventing methods cannot add metric series (routing still sees it).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})


class BoundedMethodRequest(Request):
    """A request whose `method` is one of KNOWN_METHODS or "OTHER"."""

    def __init__(self, environ: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(environ, *args, **kwargs)
        if self.method not in KNOWN_METHODS:
            self.method = "OTHER"


class OrjsonProvider(JSONProvider):
    """Flask's JSON through orjson: several times faster than the standard library."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return orjson.dumps(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return orjson.loads(s)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings come from API_COMMENTS_* environment variables
    (values parsed as JSON where they can be, e.g. API_COMMENTS_LIST_MAX=500),
    then from ``config``. The comment store is API_COMMENTS_STORE_URL, the one name
    the image, the task definition and `invoke serve` use (docs/adr/0008)."""
    app = Flask(__name__)
    app.request_class = BoundedMethodRequest
    app.json = OrjsonProvider(app)
    app.config.from_mapping(
        STORE_URL=f"sqlite:///{app.instance_path}/comments.db",
        COMMENT_MAX_LENGTH=2000,
        LIST_MAX=1000,
        MAX_CONTENT_LENGTH=16 * 1024,
        LOG_LEVEL="INFO",
        # One JSON line per request; false where a proxy in front already logs each request
        # (Traefik does): the line costs about a fifth of a listing's CPU (docs/performance.md).
        ACCESS_LOG=True,
    )
    app.config.from_prefixed_env("API_COMMENTS")
    app.config.update(config or {})

    configure_logging(app.config["LOG_LEVEL"])
    app.extensions["comment_store"] = open_store(app.config["STORE_URL"])
    _init_metrics(app)
    init_tracing(app, PROBE_PATHS)
    _init_request_logging(app)
    _init_error_handlers(app)
    app.register_blueprint(bp)
    return app


def _init_metrics(app: Flask) -> None:
    # Under the server, PROMETHEUS_MULTIPROC_DIR is set (api_comments.server) and /metrics
    # sums every worker's values; otherwise (tests, flask run) one process counts.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_flask_exporter.multiprocess import MultiprocessInternalPrometheusMetrics

        metrics_class: type[PrometheusMetrics] = MultiprocessInternalPrometheusMetrics
    else:
        metrics_class = PrometheusMetrics
    metrics = metrics_class(
        app,
        registry=CollectorRegistry(),
        group_by="endpoint",
        buckets=LATENCY_BUCKETS,
        excluded_paths=UNTRACKED_PATHS,
    )
    app.extensions["comments_created"] = Counter(
        "comments_created", "Comments stored.", registry=metrics.registry
    )


def _init_request_logging(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else random_id()

    @app.after_request
    def log_request(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.request_id
        if not app.config["ACCESS_LOG"]:
            return response
        # Probes and scrapes arrive every few seconds: keep them out of the INFO stream.
        log.log(
            logging.DEBUG if request.path in PROBE_PATHS else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - g.started) * 1000, 2),
            },
        )
        return response


def error_response(code: int, status: str, message: str) -> Response:
    response = jsonify(status=status, message=message)
    response.status_code = code
    return response


def _init_error_handlers(app: Flask) -> None:
    @app.errorhandler(ValidationError)
    def invalid(exc: ValidationError) -> Response:
        return error_response(400, "BAD-REQUEST", str(exc))

    @app.errorhandler(StoreUnavailable)
    def unavailable(exc: StoreUnavailable) -> Response:
        log.warning("comment store unavailable: %s", exc)
        if isinstance(exc, OutcomeUnknown):
            message = (
                "the comment store did not confirm the comment: it may or may not be stored; "
                "retrying with the same Idempotency-Key stores it at most once"
            )
        elif request.method == "POST":
            message = "comment store unavailable, nothing was stored: retry later"
        else:
            message = "comment store unavailable: retry later"
        response = error_response(503, "SERVICE-UNAVAILABLE", message)
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        message = exc.description or ""
        if isinstance(exc, NotFound) and request.url_rule is None:
            message = f"no such route: {request.path}"
        elif isinstance(exc, MethodNotAllowed):
            allowed = ", ".join(sorted(set(exc.valid_methods or []) - {"HEAD", "OPTIONS"}))
            method = request.environ.get("REQUEST_METHOD", "")[:32]
            message = f"method {method} is not allowed on {request.path}; allowed: {allowed}"
        elif isinstance(exc, RequestEntityTooLarge):
            message = f"request body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes"
        status = (exc.name or "error").upper().replace(" ", "-")
        response = error_response(exc.code or 500, status, message)
        if isinstance(exc, MethodNotAllowed):
            response.headers["Allow"] = ", ".join(exc.valid_methods or [])
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error")
        request_id = g.get("request_id", "unknown")
        return error_response(
            500, "INTERNAL-SERVER-ERROR", f"unexpected error; the logs have it under request_id {request_id}"
        )

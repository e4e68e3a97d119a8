"""JSON logs, one object per line on stdout, each with the request id when there is one."""

from __future__ import annotations

import logging
import sys
from typing import Any

from flask import g, has_request_context
from opentelemetry import trace
from pythonjsonlogger.orjson import OrjsonFormatter


class RequestJsonFormatter(OrjsonFormatter):
    """JSON lines that carry the current request's id, and its trace and span ids when the
    request is traced, whoever logged them."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if has_request_context() and "request_id" in g:
            log_data["request_id"] = g.request_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            log_data["trace_id"] = format(span.trace_id, "032x")
            log_data["span_id"] = format(span.span_id, "016x")


def json_formatter() -> OrjsonFormatter:
    return RequestJsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )


def logging_config(level: str = "INFO") -> dict[str, Any]:
    """The server's logging (`logging.config.dictConfig`): every record, the server's own
    included, as one JSON line on stdout."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": json_formatter}},
        "handlers": {
            "stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "root": {"level": level, "handlers": ["stdout"]},
        "loggers": {"_granian": {"level": level, "handlers": [], "propagate": True}},
    }


def configure_logging(level: str) -> None:
    """Send every log record to stdout as JSON, unless the server already did."""
    root = logging.getLogger()
    root.setLevel(level)
    if any(isinstance(h.formatter, RequestJsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(json_formatter())
    root.handlers = [handler]

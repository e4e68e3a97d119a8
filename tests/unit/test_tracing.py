"""OpenTelemetry in api-comments: off by default; when on, W3C trace context continues the
caller's trace and every log line of the request names it. Spans go to the SDK's
in-process exporter here (no collector runs in the tests)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_comments import create_app
from api_comments.logs import json_formatter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The app's JSON log lines, formatted while the request runs, into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def access_line(logs: io.StringIO, path: str) -> dict[str, object]:
    (line,) = [entry for entry in map(json.loads, logs.getvalue().splitlines()) if entry.get("path") == path]
    return line  # type: ignore[no-any-return]


def test_tracing_is_off_unless_configured(
    tmp_path: Path, logs: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    app = create_app({"STORE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TESTING": True})
    assert "tracer_provider" not in app.extensions
    app.test_client().get("/api/comment/list/1", headers={"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"})
    line = access_line(logs, "/api/comment/list/1")
    assert "trace_id" not in line


def test_a_request_continues_the_callers_trace_and_its_logs_name_it(
    tmp_path: Path, logs: io.StringIO
) -> None:
    exporter = InMemorySpanExporter()
    app = create_app(
        {"STORE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TESTING": True, "TRACE_EXPORTER": exporter}
    )
    client = app.test_client()
    comment = {"email": "a@example.com", "comment": "hi", "content_id": 1}
    traceparent = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    answer = client.post("/api/comment/new", json=comment, headers=traceparent)
    assert answer.status_code == 200
    client.get("/health")  # probes are not traced

    (span,) = exporter.get_finished_spans()
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None
    assert format(span.parent.span_id, "016x") == PARENT_ID
    assert span.attributes is not None
    assert span.attributes["http.route"] == "/api/comment/new"
    assert span.resource.attributes["service.name"] == "api-comments"

    line = access_line(logs, "/api/comment/new")
    assert line["trace_id"] == TRACE_ID
    assert line["span_id"] == format(span.context.span_id, "016x")


def test_without_the_access_log_a_request_still_gets_its_id_and_errors_still_log(
    tmp_path: Path, logs: io.StringIO
) -> None:
    """API_COMMENTS_ACCESS_LOG=false (Traefik in front logs each request): no line per
    request, the X-Request-ID header stays, and warnings are logged as before."""
    app = create_app({"STORE_URL": f"sqlite:///{tmp_path / 'c.db'}", "TESTING": True, "ACCESS_LOG": False})
    answer = app.test_client().get("/api/comment/list/1", headers={"X-Request-ID": "quiet-1"})
    assert answer.headers["X-Request-ID"] == "quiet-1"
    assert not [line for line in logs.getvalue().splitlines() if '"path"' in line]
    app.logger.warning("still logged")
    assert "still logged" in logs.getvalue()

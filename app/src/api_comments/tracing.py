"""OpenTelemetry traces, off unless configured.

Set ``OTEL_EXPORTER_OTLP_ENDPOINT`` (the ecs-service module points it at its collector
sidecar, http://localhost:4318) and every request becomes a span exported over OTLP/HTTP.
Incoming W3C ``traceparent`` headers continue the caller's trace, and every log line of
the request carries the trace and span ids. The standard ``OTEL_*`` variables
(service name, sampler, headers) apply. Tests pass an exporter in ``TRACE_EXPORTER``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from flask import Flask


def init_tracing(app: Flask, untraced_paths: Iterable[str] = ()) -> None:
    exporter = app.config.get("TRACE_EXPORTER")
    endpoints = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    if exporter is None and not any(os.environ.get(name) for name in endpoints):
        return
    from opentelemetry.instrumentation.flask import FlaskInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    service = os.environ.get("OTEL_SERVICE_NAME", "api-comments")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint from OTEL_* variables
    # The instrumentation searches these in the full URL (scheme://host/path?query).
    excluded = ",".join(f"//[^/]+{path}([?]|$)" for path in sorted(untraced_paths))
    FlaskInstrumentor().instrument_app(app, tracer_provider=provider, excluded_urls=excluded)  # type: ignore[no-untyped-call]
    app.extensions["tracer_provider"] = provider

"""Grafana dashboards as code (grafana-foundation-sdk), committed as JSON beside the Grafana
image's provisioning (infra/04-observability/grafana/dashboards). `invoke observability.dashboards`
writes them and `--check` fails on drift.

Prometheus panels use the datasource uid ``prometheus`` and CloudWatch panels the uid
``cloudwatch``; the provisioning pins both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import cloudwatch, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders.dashboard import Dashboard, QueryVariable, Row
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.cloudwatch import (
    CloudWatchQueryMode,
    LogsQueryLanguage,
    MetricEditorMode,
    MetricQueryType,
)
from grafana_foundation_sdk.models.dashboard import DataSourceRef

from ops import REPO, OpsError

DASHBOARDS = REPO / "infra" / "04-observability" / "grafana" / "dashboards"
PROMETHEUS = DataSourceRef(type_val="prometheus", uid="prometheus")
CLOUDWATCH = DataSourceRef(type_val="cloudwatch", uid="cloudwatch")
SERVICE = "api-comments"
SLO = 0.999


class DashboardDrift(OpsError):
    """A committed dashboard differs from the code that generates it."""


def promql(expr: str, legend: str = "") -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr)
    return query.legend_format(legend) if legend else query


def series(title: str, unit: str, *queries: prometheus.Dataquery, width: int = 12) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).unit(unit).datasource(PROMETHEUS).span(width).height(8)
    for query in queries:
        panel = panel.with_target(query)
    return panel


def single(title: str, unit: str, query: prometheus.Dataquery, width: int = 6) -> stat.Panel:
    return (
        stat.Panel().title(title).unit(unit).datasource(PROMETHEUS).span(width).height(5).with_target(query)
    )


def dashboard(title: str, uid: str, tags: list[str], refresh: str, since: str) -> Dashboard:
    return Dashboard(title).uid(uid).tags(["platform", *tags]).refresh(refresh).time(since, "now")


def red() -> Dashboard:
    """api-comments: rate per endpoint, error ratio, p50/p90/p99, answers by status."""
    job = f'job="{SERVICE}"'
    count = f"flask_http_request_duration_seconds_count{{{job}}}"
    errors = f'flask_http_request_duration_seconds_count{{{job}, status=~"5.."}}'
    bucket = f"flask_http_request_duration_seconds_bucket{{{job}}}"
    window = "[$__rate_interval]"

    def quantile(q: float, by: str = "le", legend: str = "") -> prometheus.Dataquery:
        expr = f"histogram_quantile({q}, sum by ({by}) (rate({bucket}{window})))"
        return promql(expr, legend or f"p{int(q * 100)}")

    board = dashboard(f"{SERVICE}: RED", f"{SERVICE}-red", [SERVICE], "30s", "now-3h")
    board.with_row(Row("Rate and errors"))
    for panel in (
        single("Requests/s", "reqps", promql(f"sum(rate({count}{window}))")),
        single("Error ratio (5xx)", "percentunit", promql(f"job:flask_http_error_ratio:rate5m{{{job}}}")),
        single("p99 latency", "s", promql(f"job:flask_http_request_duration_seconds:p99_5m{{{job}}}")),
        single("Comments created/s", "ops", promql(f"sum(rate(comments_created_total{{{job}}}{window}))")),
        series("Requests/s by endpoint", "reqps",
               promql(f"sum by (endpoint, method) (rate({count}{window}))", "{{method}} {{endpoint}}")),
        series("Answers/s by status", "reqps",
               promql(f"sum by (status) (rate({count}{window}))", "{{status}}")),
    ):  # fmt: skip
        board.with_panel(panel)
    board.with_row(Row("Duration and errors by endpoint"))
    ratio = f"sum by (endpoint) (rate({errors}{window})) / sum by (endpoint) (rate({count}{window}))"
    for panel in (
        series("Latency p50 / p90 / p99", "s", quantile(0.5), quantile(0.9), quantile(0.99)),
        series("p99 by endpoint", "s", quantile(0.99, "le, endpoint", "{{endpoint}}")),
        series("Error ratio by endpoint", "percentunit", promql(ratio, "{{endpoint}}"), width=24),
    ):
        board.with_panel(panel)
    return board


def traefik() -> Dashboard:
    """Traefik: requests and 429s per router, latency per service."""
    routers = 'traefik_router_requests_total{router=~"$router"'
    window = "[$__rate_interval]"
    durations = f"rate(traefik_service_request_duration_seconds_bucket{window})"
    board = dashboard("Traefik", "traefik", ["traefik"], "30s", "now-3h")
    board.with_variable(
        QueryVariable("router").label("Router").datasource(PROMETHEUS)
        .query("label_values(traefik_router_requests_total, router)").multi(True).include_all(True)
    )  # fmt: skip
    for panel in (
        series("Requests/s per router", "reqps",
               promql(f"sum by (router) (rate({routers}}}{window}))", "{{router}}")),
        series("Rate-limited (429)/s per router", "reqps",
               promql(f'sum by (router) (rate({routers}, code="429"}}{window}))', "{{router}}")),
        series("5xx/s per router", "reqps",
               promql(f'sum by (router) (rate({routers}, code=~"5.."}}{window}))', "{{router}}")),
        series("p99 latency per service", "s",
               promql(f"histogram_quantile(0.99, sum by (le, service) ({durations}))", "{{service}}")),
        series("Open connections per entrypoint", "short",
               promql("sum by (entrypoint) (traefik_open_connections)", "{{entrypoint}}"), width=24),
    ):  # fmt: skip
        board.with_panel(panel)
    return board


def ecs_metric(metric: str) -> cloudwatch.CloudWatchMetricsQuery:
    return (
        cloudwatch.CloudWatchMetricsQuery().datasource(CLOUDWATCH).query_mode(CloudWatchQueryMode.METRICS)
        .metric_query_type(MetricQueryType.SEARCH).metric_editor_mode(MetricEditorMode.BUILDER)
        .region("default").namespace("AWS/ECS").metric_name(metric).statistic("Average")
        .dimensions({"ClusterName": "$cluster", "ServiceName": "*"}).match_exact(True).period("60")
        .label("${PROP('Dim.ServiceName')}")
    )  # fmt: skip


def ecs() -> Dashboard:
    """ECS: CPU and memory per service, from CloudWatch (the task role reads them)."""
    board = dashboard("ECS services", "ecs-services", ["ecs"], "1m", "now-6h")
    clusters: dict[str, object] = {
        "queryType": "dimensionValues",
        "region": "default",
        "namespace": "AWS/ECS",
        "metricName": "CPUUtilization",
        "dimensionKey": "ClusterName",
    }
    board.with_variable(QueryVariable("cluster").label("Cluster").datasource(CLOUDWATCH).query(clusters))
    for title, metric in (("CPU", "CPUUtilization"), ("Memory", "MemoryUtilization")):
        panel = timeseries.Panel().title(f"{title} utilisation per service").unit("percent")
        board.with_panel(panel.datasource(CLOUDWATCH).span(12).height(9).with_target(ecs_metric(metric)))
    return board


# Traefik writes the services' access log (ADR 0016); these are its JSON fields the log
# panels read (Duration in nanoseconds), checked against real Traefik's lines in the tests.
TRAEFIK_ACCESS_FIELDS = ("RequestMethod", "RequestPath", "DownstreamStatus", "Duration", "ServiceName",
                         "downstream_X-Request-Id")  # fmt: skip
SERVICE_LOG_GROUP = "/ecs/$environment/$service"
TRAEFIK_LOG_GROUP = "/ecs/$environment/traefik"


def insights(expression: str, log_group: str = SERVICE_LOG_GROUP) -> cloudwatch.CloudWatchLogsQuery:
    return (
        cloudwatch.CloudWatchLogsQuery().datasource(CLOUDWATCH).query_mode(CloudWatchQueryMode.LOGS)
        .query_language(LogsQueryLanguage.CWLI).region("default")
        .log_group_names([log_group]).expression(expression)
    )  # fmt: skip


def logs() -> Dashboard:
    """Logs: CloudWatch Logs Insights over the services' JSON log lines (events) and
    Traefik's access log (one line per request, with the request id the service answered)."""
    board = dashboard("Logs", "logs", ["logs"], "1m", "now-1h")
    for name, label in (("environment", "environment"), ("service", "ecs_service")):
        variable = QueryVariable(name).label(name.title()).datasource(PROMETHEUS)
        board.with_variable(variable.query(f"label_values(up, {label})"))
    method, path, status, duration, service, request_id = TRAEFIK_ACCESS_FIELDS
    of_service = f'| filter {service} like "$service@"'
    errors = "\n".join(["fields @timestamp, level, message, request_id",
                        '| filter level in ["ERROR", "CRITICAL"]',
                        "| stats count() as errors by message", "| sort errors desc"])  # fmt: skip
    server_errors = "\n".join([f"fields {path}, {status}", of_service, f"| filter {status} >= 500",
                               f"| stats count() as responses by {path}, {status}",
                               "| sort responses desc"])  # fmt: skip
    slowest = "\n".join([f"fields @timestamp, {method} as method, {path} as path, {status} as status,"
                         f" {duration} / 1000000 as duration_ms, `{request_id}` as request_id",
                         of_service, "| sort duration_ms desc", "| limit 50"])  # fmt: skip
    for title, kind, query, width in (
        ("Errors logged, by message", table.Panel(), insights(errors), 12),
        ("5xx answered, by path (Traefik)", table.Panel(), insights(server_errors, TRAEFIK_LOG_GROUP), 12),
        ("Slowest requests (Traefik)", table.Panel(), insights(slowest, TRAEFIK_LOG_GROUP), 24),
        ("Log lines by level", timeseries.Panel(), insights("stats count() by bin(1m), level"), 24),
    ):
        board.with_panel(kind.title(title).datasource(CLOUDWATCH).span(width).height(10).with_target(query))
    return board


def slo() -> Dashboard:
    """The availability SLO: availability, error budget left, burn rates per window."""
    job, budget = f'job="{SERVICE}"', f"{1 - SLO:g}"

    def burn(window: str) -> prometheus.Dataquery:
        return promql(f"job:slo_errors_per_request:ratio_rate{window}{{{job}}} / {budget}", window)

    board = dashboard(f"{SERVICE}: SLO", f"{SERVICE}-slo", [SERVICE, "slo"], "1m", "now-7d")
    windows = ("5m", "30m", "1h", "6h", "1d", "3d")
    for panel in (
        single("Availability (30 days), objective 99.9 %", "percentunit",
               promql(f"job:slo_availability:ratio_rate30d{{{job}}}"), width=8),
        single("Error budget left (30 days)", "percentunit",
               promql(f"job:slo_error_budget_remaining:ratio30d{{{job}}}"), width=8),
        single("Burn rate (1 h)", "x", burn("1h"), width=8),
        series("Burn rate per window (page at 14.4x and 6x, ticket at 3x and 1x)", "x",
               *map(burn, windows), width=24),
        series("Error ratio against the budget", "percentunit",
               promql(f"job:slo_errors_per_request:ratio_rate1h{{{job}}}", "errors (1 h)"),
               promql(f"vector({budget})", "budget rate"), width=24),
    ):  # fmt: skip
        board.with_panel(panel)
    return board


BUILDERS = {
    "api-comments-red": red,
    "traefik": traefik,
    "ecs-services": ecs,
    "logs": logs,
    "api-comments-slo": slo,
}


def render(builder: Any) -> str:
    return json.dumps(builder.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"


def update(check: bool = False, directory: Path = DASHBOARDS) -> list[Path]:
    """Write every dashboard's JSON (or with ``check``, compare); returns the ones that differ."""
    directory.mkdir(parents=True, exist_ok=True)
    drifted = []
    for name, build in BUILDERS.items():
        path = directory / f"{name}.json"
        text = render(build())
        if not path.exists() or path.read_text() != text:
            drifted.append(path)
            if not check:
                path.write_text(text)
    if check and drifted:
        names = ", ".join(path.name for path in drifted)
        raise DashboardDrift(f"dashboards out of date: {names}: run `invoke observability.dashboards`")
    return drifted


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    datasource: str  # the datasource type: prometheus or cloudwatch
    uid: str
    target: dict[str, Any]


def queries(directory: Path = DASHBOARDS) -> Iterator[Query]:
    """Every query of every committed dashboard, with its panel and datasource type."""
    for path in sorted(directory.glob("*.json")):
        model = json.loads(path.read_text())
        for panel in model.get("panels", []):
            for target in panel.get("targets", []):
                source = target.get("datasource") or panel.get("datasource") or {}
                yield Query(
                    model["uid"],
                    panel.get("title", ""),
                    source.get("type", ""),
                    source.get("uid", ""),
                    target,
                )

"""Prometheus targets from ECS: the running tasks whose containers carry the docker label
``PROMETHEUS_EXPORTER_PORT`` (optionally ``PROMETHEUS_EXPORTER_PATH``,
``PROMETHEUS_EXPORTER_JOB_NAME`` and ``PROMETHEUS_EXPORTER_SCHEME``), written as a
Prometheus ``file_sd`` JSON file.

A refresh costs ceil(n/100) ``ListTasks`` pages plus ceil(n/100) ``DescribeTasks``
batches per cluster. Task definitions are described once per ARN and cached for the
life of the process (a revision never changes). Throttling is retried with botocore's
adaptive backoff. A task that cannot be read is logged and skipped. A refresh that
fails leaves the last good file in place, and the file is rewritten (atomically) only
when its content changes.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

log = logging.getLogger("ecs_discovery")

PORT_LABEL = "PROMETHEUS_EXPORTER_PORT"
PATH_LABEL = "PROMETHEUS_EXPORTER_PATH"
JOB_LABEL = "PROMETHEUS_EXPORTER_JOB_NAME"
SCHEME_LABEL = "PROMETHEUS_EXPORTER_SCHEME"
BATCH = 100  # DescribeTasks takes at most 100 tasks; ListTasks pages hold at most 100
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})


@dataclass(frozen=True)
class Exporter:
    """What one container of a task definition exposes to Prometheus."""

    container: str
    port: int
    path: str
    job: str
    scheme: str


def exporters_of(task_definition: dict[str, Any]) -> list[Exporter]:
    """The labelled containers of a task definition; a malformed label is logged and skipped."""
    found = []
    family = task_definition["family"]
    for container in task_definition.get("containerDefinitions", []):
        labels, name = container.get("dockerLabels") or {}, container["name"]
        if PORT_LABEL not in labels:
            continue
        port, scheme = labels[PORT_LABEL], labels.get(SCHEME_LABEL, "http")
        if not (port.isdigit() and 0 < int(port) < 65536):
            log.warning("skipping %s/%s: %s=%r is not a port", family, name, PORT_LABEL, port)
            continue
        if scheme not in ("http", "https"):
            log.warning("skipping %s/%s: %s=%r is not http or https", family, name, SCHEME_LABEL, scheme)
            continue
        path = labels.get(PATH_LABEL, "/metrics")
        path = path if path.startswith("/") else f"/{path}"
        found.append(Exporter(name, int(port), path, labels.get(JOB_LABEL, family), scheme))
    return found


def task_address(task: dict[str, Any]) -> str | None:
    """The task's private IPv4 address (awsvpc ENI), or None while it has none."""
    for attachment in task.get("attachments", []):
        if attachment.get("type") == "ElasticNetworkInterface":
            for detail in attachment.get("details", []):
                if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                    return str(detail["value"])
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            if interface.get("privateIpv4Address"):
                return str(interface["privateIpv4Address"])
    return None


class Discovery:
    """Targets of the running tasks of some clusters, with task definitions cached by ARN."""

    def __init__(self, clusters: list[str], ecs: Any = None) -> None:
        self.clusters = clusters
        self.ecs = ecs or boto3.client("ecs", config=RETRIES)
        self.definitions: dict[str, list[Exporter]] = {}

    def _task_arns(self, cluster: str) -> Iterator[list[str]]:
        paginator = self.ecs.get_paginator("list_tasks")
        for page in paginator.paginate(cluster=cluster, desiredStatus="RUNNING",
                                       PaginationConfig={"PageSize": BATCH}):  # fmt: skip
            if page["taskArns"]:
                yield page["taskArns"]

    def _exporters(self, arn: str) -> list[Exporter]:
        if arn not in self.definitions:
            described = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
            self.definitions[arn] = exporters_of(described)
        return self.definitions[arn]

    def refresh(self) -> list[dict[str, Any]]:
        """The file_sd groups of every labelled container of every running task, sorted."""
        groups = []
        for cluster in self.clusters:
            for arns in self._task_arns(cluster):
                described = self.ecs.describe_tasks(cluster=cluster, tasks=arns)
                for failure in described.get("failures", []):
                    log.warning("cannot describe %s: %s", failure.get("arn"), failure.get("reason"))
                for task in described["tasks"]:
                    try:
                        groups += self._groups(task)
                    except Exception:  # one broken task never drops the others
                        log.exception("skipping task %s", task.get("taskArn"))
        return sorted(groups, key=lambda group: (group["targets"], group["labels"]["job"]))

    def _groups(self, task: dict[str, Any]) -> list[dict[str, Any]]:
        if task.get("lastStatus") != "RUNNING":
            return []
        address = task_address(task)
        exporters = self._exporters(task["taskDefinitionArn"])
        if not exporters or address is None:
            return []
        family_revision = task["taskDefinitionArn"].rsplit("/", 1)[-1]
        family, _, revision = family_revision.rpartition(":")
        cluster = task["clusterArn"].rsplit("/", 1)[-1]
        group = task.get("group", "")
        base = {
            "ecs_cluster": cluster,
            "ecs_task_definition_family": family,
            "ecs_task_definition_revision": revision,
            "ecs_task_id": task["taskArn"].rsplit("/", 1)[-1],
        }
        if group.startswith("service:"):
            base["ecs_service"] = group.removeprefix("service:")
        if task.get("availabilityZone"):
            base["availability_zone"] = task["availabilityZone"]
        return [
            {
                "targets": [f"{address}:{exporter.port}"],
                "labels": {
                    **base,
                    "job": exporter.job,
                    "ecs_container": exporter.container,
                    "__metrics_path__": exporter.path,
                    "__scheme__": exporter.scheme,
                },
            }
            for exporter in exporters
        ]


def write_if_changed(path: Path, groups: list[dict[str, Any]]) -> bool:
    """Write the file through a temporary file and a rename (Prometheus never reads half a
    file), and only when the content differs; True when it was written."""
    content = json.dumps(groups, indent=2, sort_keys=True) + "\n"
    if path.exists() and path.read_text() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(content)
            handle.close()
            temporary.chmod(0o644)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return True


def run(
    discovery: Discovery, output: Path, interval: float, *, heartbeat: Path | None = None, once: bool = False
) -> None:
    """Refresh every ``interval`` seconds until SIGTERM; each success touches ``heartbeat``."""
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        started = time.monotonic()
        try:
            groups = discovery.refresh()
            changed = write_if_changed(output, groups)
        except Exception:  # a failed refresh or write keeps the last good file and is retried
            log.exception(
                "refresh failed; %s keeps the last good targets; retrying in %g s", output, interval
            )
        else:
            if heartbeat:
                heartbeat.touch()
            log.info("%d targets%s in %.2f s", len(groups), " (file updated)" if changed else "",
                     time.monotonic() - started)  # fmt: skip
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(message)s"
    )
    clusters = [c.strip() for c in os.environ.get("ECS_CLUSTER", "").split(",") if c.strip()]
    if not clusters:
        raise SystemExit("ECS_CLUSTER is not set: give the cluster name (or several, comma-separated)")
    heartbeat = os.environ.get("HEARTBEAT_FILE")
    run(
        Discovery(clusters),
        Path(os.environ.get("OUTPUT_FILE", "/targets/ecs.json")),
        float(os.environ.get("INTERVAL_SECONDS", "30")),
        heartbeat=Path(heartbeat) if heartbeat else None,
        once=os.environ.get("RUN_ONCE") == "1",
    )

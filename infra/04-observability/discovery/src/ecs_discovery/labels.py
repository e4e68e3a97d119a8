"""What a task exposes to Prometheus: its containers' exporter labels and its address."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("ecs_discovery")


PORT_LABEL = "PROMETHEUS_EXPORTER_PORT"
PATH_LABEL = "PROMETHEUS_EXPORTER_PATH"
JOB_LABEL = "PROMETHEUS_EXPORTER_JOB_NAME"
SCHEME_LABEL = "PROMETHEUS_EXPORTER_SCHEME"


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

"""The ECS calls: the running tasks of the clusters, as Prometheus file_sd target groups."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config

from ecs_discovery.labels import Exporter, exporters_of, task_address

log = logging.getLogger("ecs_discovery")


BATCH = 100  # DescribeTasks takes at most 100 tasks; ListTasks pages hold at most 100
RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10})


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

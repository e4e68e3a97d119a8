"""API calls and time per refresh of the ECS discovery sidecar against a naive discovery,
side by side on one emulator holding N running tasks in one cluster."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ecs_discovery.discovery import Discovery
from ecs_discovery.labels import exporters_of, task_address

from ops import emulator
from ops.aws import AwsContext
from ops.server import free_port


def count_calls(client: Any) -> Counter[str]:
    """Every API call the client makes from now on, by operation (botocore's before-call event)."""
    calls: Counter[str] = Counter()
    client.meta.events.register("before-call.ecs.*", lambda model, **_: calls.update([model.name]))
    return calls


def naive_refresh(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    """What a first attempt does: one DescribeTasks and one DescribeTaskDefinition per task."""
    groups = []
    for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus="RUNNING"):
        for arn in page["taskArns"]:
            (task,) = ecs.describe_tasks(cluster=cluster, tasks=[arn])["tasks"]
            described = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])
            for exporter in exporters_of(described["taskDefinition"]):
                target = f"{task_address(task)}:{exporter.port}"
                groups.append({"targets": [target], "labels": {"job": exporter.job}})
    return groups


def populate(ecs: Any, ec2: Any, cluster: str, tasks: int, families: int = 5) -> None:
    """A cluster of ``tasks`` running Fargate tasks over a few labelled task definitions."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/18", AvailabilityZone="us-east-1a")["Subnet"]
    group = ec2.create_security_group(GroupName=f"{cluster}-tasks", Description="tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName=cluster)
    network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]], "securityGroups": [group]}}
    for index in range(families):
        arn = ecs.register_task_definition(
            family=f"svc{index}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=[{"name": "app", "image": "app:1",
                                                 "dockerLabels": {"PROMETHEUS_EXPORTER_PORT": "8000"}}],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        share = tasks // families + (1 if index < tasks % families else 0)
        for start in range(0, share, 10):  # RunTask starts at most 10 tasks per call
            count = min(10, share - start)
            ecs.run_task(cluster=cluster, taskDefinition=arn, count=count, launchType="FARGATE",
                         group=f"service:svc{index}", networkConfiguration=network)  # fmt: skip


@dataclass
class Measure:
    name: str
    calls: Counter[str]
    seconds: float
    targets: int

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def row(self, baseline: Measure) -> list[str]:
        """The cells of COLUMNS, with the call count as a ratio of the baseline's."""
        return [self.name, str(self.total), str(self.calls["ListTasks"]), str(self.calls["DescribeTasks"]),
                str(self.calls["DescribeTaskDefinition"]), f"{self.seconds:.2f}",
                f"{self.total / baseline.total:.3f}"]  # fmt: skip


COLUMNS = ["refresh", "API calls", "ListTasks", "DescribeTasks", "DescribeTaskDefinition", "median s",
           "vs naive"]  # fmt: skip


def measure(name: str, calls: Counter[str], refresh: Callable[[], list[Any]], rounds: int) -> Measure:
    """The calls of one refresh and the median time of ``rounds`` refreshes."""
    times, per_round, targets = [], Counter[str](), 0
    for _ in range(rounds):
        calls.clear()
        started = time.perf_counter()
        targets = len(refresh())
        times.append(time.perf_counter() - started)
        per_round = Counter(calls)
    return Measure(name, per_round, statistics.median(times), targets)


def run_benchmark(tasks: int = 1000, rounds: int = 3) -> list[Measure]:
    port = free_port()
    emulator.start_background(port)
    try:
        aws = AwsContext.from_environ(emulator.client_env(port))
        ecs, ec2 = aws.client("ecs"), aws.client("ec2")
        populate(ecs, ec2, "bench", tasks)
        calls = count_calls(ecs)
        discovery = Discovery(["bench"], ecs)
        first = measure("discovery, first refresh", calls, discovery.refresh, 1)
        steady = measure("discovery, steady state", calls, discovery.refresh, rounds)
        naive = measure("naive", calls, lambda: naive_refresh(ecs, "bench"), rounds)
        return [naive, first, steady]
    finally:
        emulator.stop_background(port)


def markdown(results: list[Measure], tasks: int, command: str) -> str:
    lines = [
        f"Measured with `{command}`: one cluster of {tasks} running tasks on the embedded emulator.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|---|" + "---:|" * (len(COLUMNS) - 1),
    ]
    lines += ["| " + " | ".join(result.row(results[0])) + " |" for result in results]
    return "\n".join(lines)

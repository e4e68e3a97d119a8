"""The ECS discovery sidecar against the embedded emulator, with real Fargate tasks (RunTask)."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from botocore.config import Config
from ecs_discovery.cli import run
from ecs_discovery.discovery import RETRIES, Discovery
from ecs_discovery.output import write_if_changed

from ops import emulator
from ops.aws import AwsContext
from ops.perf.discovery import count_calls, populate

LABELS = {"PROMETHEUS_EXPORTER_PORT": "8000"}
# pragma: allowlist nextline secret (dummy keys for an unreachable port and a stand-in server)
DUMMY_CREDENTIALS = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}


@pytest.fixture(scope="module")
def fleet(aws: AwsContext) -> dict[str, Any]:
    """ECS and EC2 clients of the session's emulator, and a network for the tasks."""
    ecs, ec2 = aws.client("ecs", config=RETRIES), aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/20", AvailabilityZone="us-east-1b")["Subnet"]
    group = ec2.create_security_group(GroupName="discovery-tests", Description="t", VpcId=vpc)["GroupId"]
    network = {"awsvpcConfiguration": {"subnets": [subnet["SubnetId"]], "securityGroups": [group]}}
    return {"ecs": ecs, "ec2": ec2, "network": network}


def definition(ecs: Any, family: str, *containers: tuple[str, dict[str, str]]) -> str:
    return ecs.register_task_definition(  # type: ignore[no-any-return]
        family=family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": name, "image": f"{name}:1", "dockerLabels": labels}
                              for name, labels in containers],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip


def start(fleet: dict[str, Any], cluster: str, arn: str, count: int = 1, service: str | None = None) -> None:
    group = f"service:{service}" if service else ""
    fleet["ecs"].run_task(cluster=cluster, taskDefinition=arn, count=count, launchType="FARGATE",
                        networkConfiguration=fleet["network"], group=group)  # fmt: skip


def test_labelled_containers_of_running_tasks_become_targets(fleet: dict[str, Any]) -> None:
    ecs = fleet["ecs"]
    ecs.create_cluster(clusterName="targets")
    api = definition(ecs, "api", ("api", LABELS), ("envoy", {}))
    both = definition(ecs, "proxy", ("traefik", {"PROMETHEUS_EXPORTER_PORT": "9100",
                                                 "PROMETHEUS_EXPORTER_JOB_NAME": "traefik"}),
                      ("sidecar", {"PROMETHEUS_EXPORTER_PORT": "9102", "PROMETHEUS_EXPORTER_PATH": "stats",
                                   "PROMETHEUS_EXPORTER_SCHEME": "https"}))  # fmt: skip
    quiet = definition(ecs, "worker", ("worker", {}))
    start(fleet, "targets", api, 2, service="api-comments")
    start(fleet, "targets", both)
    start(fleet, "targets", quiet)

    groups = Discovery(["targets"], ecs).refresh()

    api_groups = [g for g in groups if g["labels"]["job"] == "api"]
    assert len(api_groups) == 2
    labels = api_groups[0]["labels"]
    assert labels["ecs_cluster"] == "targets"
    assert labels["ecs_service"] == "api-comments"
    assert (labels["ecs_task_definition_family"], labels["ecs_task_definition_revision"]) == ("api", "1")
    assert labels["ecs_container"] == "api"
    assert labels["availability_zone"] == "us-east-1b"
    assert (labels["__metrics_path__"], labels["__scheme__"]) == ("/metrics", "http")
    tasks = ecs.describe_tasks(cluster="targets", tasks=ecs.list_tasks(cluster="targets")["taskArns"])[
        "tasks"
    ]
    addresses = {d["value"] for t in tasks for a in t["attachments"] for d in a["details"]
                 if d["name"] == "privateIPv4Address"}  # fmt: skip
    assert {g["targets"][0] for g in api_groups} <= {f"{address}:8000" for address in addresses}
    by_job = {g["labels"]["job"]: g for g in groups if g["labels"]["ecs_task_definition_family"] == "proxy"}
    assert by_job["traefik"]["targets"][0].endswith(":9100")
    assert "ecs_service" not in by_job["traefik"]["labels"]  # a task started outside a service
    assert by_job["proxy"]["labels"]["__metrics_path__"] == "/stats"  # the job defaults to the family
    assert by_job["proxy"]["labels"]["__scheme__"] == "https"
    assert not [g for g in groups if g["labels"]["ecs_task_definition_family"] == "worker"]


def test_one_broken_label_drops_only_its_container(fleet: dict[str, Any]) -> None:
    ecs = fleet["ecs"]
    ecs.create_cluster(clusterName="broken")
    start(fleet, "broken", definition(ecs, "bad", ("app", {"PROMETHEUS_EXPORTER_PORT": "eighty"}),
                                    ("ok", {"PROMETHEUS_EXPORTER_PORT": "9000"})))  # fmt: skip
    start(fleet, "broken", definition(ecs, "fine", ("app", LABELS)))
    groups = Discovery(["broken"], ecs).refresh()
    assert sorted(
        (g["labels"]["ecs_task_definition_family"], g["labels"]["ecs_container"]) for g in groups
    ) == [
        ("bad", "ok"),
        ("fine", "app"),
    ]


def test_a_steady_refresh_of_1000_tasks_uses_at_most_21_calls(fleet: dict[str, Any]) -> None:
    ecs = fleet["ecs"]
    populate(ecs, fleet["ec2"], "thousand", 1000)
    calls = count_calls(ecs)
    discovery = Discovery(["thousand"], ecs)
    assert len(discovery.refresh()) == 1000
    assert calls == {"ListTasks": 10, "DescribeTasks": 10, "DescribeTaskDefinition": 5}
    calls.clear()
    assert len(discovery.refresh()) == 1000
    assert sum(calls.values()) <= 21
    assert calls["DescribeTaskDefinition"] == 0  # revisions never change: described once per ARN


def test_the_file_is_replaced_atomically_and_only_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "targets" / "ecs.json"
    groups = [{"targets": ["10.0.0.1:8000"], "labels": {"job": "api"}}]
    assert write_if_changed(path, groups)
    before = path.stat()
    assert not write_if_changed(path, groups)
    assert path.stat().st_mtime_ns == before.st_mtime_ns
    assert json.loads(path.read_text()) == groups
    assert write_if_changed(path, [])
    assert json.loads(path.read_text()) == []
    assert [p.name for p in path.parent.iterdir()] == ["ecs.json"]  # no temporary file left behind


def test_a_failed_refresh_keeps_the_last_good_file(tmp_path: Path) -> None:
    output, heartbeat = tmp_path / "ecs.json", tmp_path / "heartbeat"
    write_if_changed(output, [{"targets": ["10.0.0.1:8000"], "labels": {"job": "api"}}])
    good = output.read_text()
    unreachable = boto3.client("ecs", endpoint_url="http://127.0.0.1:9", **DUMMY_CREDENTIALS,
                               config=Config(retries={"max_attempts": 1}, connect_timeout=1))  # fmt: skip
    run(Discovery(["any"], unreachable), output, 0, heartbeat=heartbeat, once=True)
    assert output.read_text() == good
    assert not heartbeat.exists()  # the health check sees the failure


class ThrottlingECS(BaseHTTPRequestHandler):
    """A real HTTP server standing in for ECS's JSON API: the first two calls are throttled,
    as ECS does under load, then ListTasks answers with no tasks."""

    calls: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        ThrottlingECS.calls.append(self.headers["X-Amz-Target"].rsplit(".", 1)[-1])
        throttled = len(ThrottlingECS.calls) <= 2
        body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"} if throttled
                          else {"taskArns": []}).encode()  # fmt: skip
        self.send_response(400 if throttled else 200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def throttling_ecs() -> Iterator[str]:
    ThrottlingECS.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThrottlingECS)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_throttling_is_retried_with_backoff(throttling_ecs: str) -> None:
    ecs = boto3.client("ecs", endpoint_url=throttling_ecs, config=RETRIES, **DUMMY_CREDENTIALS)
    assert Discovery(["c"], ecs).refresh() == []
    assert ThrottlingECS.calls == ["ListTasks", "ListTasks", "ListTasks"]


def test_a_failed_write_is_logged_and_retried_and_keeps_the_last_good_file(
    fleet: dict[str, Any], emulator_port: int, tmp_path: Path
) -> None:
    """The sidecar as a real process whose writes really fail (a file-size limit: EFBIG, as a
    full or unwritable volume would): it logs, keeps the last good file, skips the heartbeat,
    keeps running and succeeds once writes work again."""
    ecs = fleet["ecs"]
    ecs.create_cluster(clusterName="unwritable")
    start(fleet, "unwritable", definition(ecs, "api", ("api", LABELS)), count=3)
    output, heartbeat = tmp_path / "targets" / "ecs.json", tmp_path / "heartbeat"
    write_if_changed(output, [])  # the last good file: 3 bytes
    environ = {**os.environ, **emulator.client_env(emulator_port), "ECS_CLUSTER": "unwritable",
               "OUTPUT_FILE": str(output), "HEARTBEAT_FILE": str(heartbeat),
               "INTERVAL_SECONDS": "0.2"}  # fmt: skip

    def small_files() -> None:  # in the child: files of at most 64 bytes, EFBIG beyond
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    lines: list[str] = []  # a pipe, not a file: the size limit would cut a log file too
    sidecar = subprocess.Popen([sys.executable, "-c", "from ecs_discovery.cli import main; main()"],
                               env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=small_files)  # fmt: skip
    assert sidecar.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(sidecar.stdout or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 20
        while "".join(lines).count("refresh failed") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sidecar.poll() is None, "".join(lines)  # never an exit
    finally:
        sidecar.terminate()
        sidecar.wait(timeout=10)
        reader.join(timeout=5)
    text = "".join(lines)
    assert text.count("refresh failed") >= 2, text  # logged, and retried
    assert "File too large" in text
    assert output.read_text() == "[]\n"
    assert not heartbeat.exists()
    assert [p.name for p in output.parent.iterdir()] == ["ecs.json"]  # no temporary file left behind
    run(Discovery(["unwritable"], ecs), output, 0, heartbeat=heartbeat, once=True)  # writable again
    assert len(json.loads(output.read_text())) == 3
    assert heartbeat.exists()

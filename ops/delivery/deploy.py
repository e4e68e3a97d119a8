"""Roll out a new image with ecs-deploy (DESIGN decisions 4 and 5).

A new task-definition revision that changes only the image, the service moved to it,
a wait with a timeout, a rollback to the previous revision when the deployment fails
(the ECS circuit breaker is on as well), and, only on success, the tag recorded in
SSM so that Terraform keeps it. The revision Terraform registered is never
deregistered; a failed revision is.

Where an image runs is read from SSM (`/<env>/<image>/deployment`, written by the layer
that runs it), so a deploy needs no Terraform state: the deploy role reads no state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from ecs_deploy.ecs import DeployAction, EcsClient, EcsError, EcsTaskDefinition

from ops import OpsError
from ops.aws import AwsContext
from ops.delivery.build import repository_of

Progress = Callable[[str], None]


class DeployFailed(OpsError):
    """The new revision did not become healthy; the service was rolled back."""


class DeployTimedOut(EcsError):  # type: ignore[misc]
    """The service did not reach its new revision in time."""


@dataclass(frozen=True)
class DeployTarget:
    """Where an image runs: its service's cluster, name and container, its repository and the
    parameter its deployed tag is recorded in."""

    cluster_arn: str
    service_name: str
    container_name: str
    repository_url: str
    image_tag_parameter: str

    @classmethod
    def of(cls, aws: AwsContext, env: str, image: str) -> DeployTarget:
        ssm = aws.client("ssm")
        name = f"/{env}/{image}/deployment"
        try:
            where = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
        except ssm.exceptions.ParameterNotFound:
            raise OpsError(
                f"{image} does not run in {env} yet ({name} is missing): apply the layer that runs it"
            ) from None
        return cls(
            where["cluster_arn"],
            where["service_name"],
            where["container_name"],
            repository_of(aws, env, image),
            f"/{env}/{image}/image-tag",
        )


@dataclass(frozen=True)
class DeployResult:
    service: str
    image: str
    revision: str
    previous_revision: str
    seconds: float


class _Ecs(EcsClient):  # type: ignore[misc]
    """ecs-deploy's client over this context's boto3 clients (its own reads the environment)."""

    def __init__(self, aws: AwsContext) -> None:
        self.boto = aws.client("ecs")
        self.events = aws.client("events")


def _move_to(
    action: DeployAction,
    revision: EcsTaskDefinition,
    *,
    timeout: float,
    sleep_time: float,
    progress: Progress,
) -> None:
    """Point the service at ``revision`` and wait until only its tasks run; EcsError otherwise
    (ecs-deploy's is_deployed raises on a deployment ECS marked FAILED)."""
    action.deploy(revision)
    deadline = time.monotonic() + timeout
    while not action.is_deployed(action.get_service()):
        if time.monotonic() > deadline:
            raise DeployTimedOut(f"{revision.family_revision} was not running after {timeout:.0f} s")
        progress(f"waiting for {revision.family_revision}")
        time.sleep(sleep_time)


def roll_out(
    aws: AwsContext,
    target: DeployTarget,
    tag: str,
    *,
    timeout: float = 600,
    sleep_time: float = 5.0,
    progress: Progress = print,
) -> DeployResult:
    """Register a revision with the new image, deploy it and wait; roll back on failure."""
    started = time.monotonic()
    action = DeployAction(_Ecs(aws), target.cluster_arn, target.service_name)
    previous = action.get_current_task_definition(action.service)
    candidate = action.get_current_task_definition(action.service)
    image = f"{target.repository_url}:{tag}"
    candidate.set_images(**{target.container_name: image})
    revision = action.update_task_definition(candidate)
    progress(f"registered {revision.family_revision} ({image}); rolling out")
    try:
        _move_to(action, revision, timeout=timeout, sleep_time=sleep_time, progress=progress)
    except EcsError as exc:
        progress(f"{revision.family_revision} failed ({exc}); rolling back to {previous.family_revision}")
        try:
            _move_to(action, previous, timeout=timeout, sleep_time=sleep_time, progress=progress)
            action.deregister_task_definition(revision)
        except EcsError as rollback_error:
            raise DeployFailed(
                f"{target.service_name}: {image} failed ({exc}) and so did the rollback to "
                f"{previous.family_revision} ({rollback_error}): look at the service's events"
            ) from rollback_error
        raise DeployFailed(
            f"{target.service_name}: {image} failed ({exc}); rolled back to {previous.family_revision}"
        ) from exc
    aws.client("ssm").put_parameter(Name=target.image_tag_parameter, Value=tag, Type="String", Overwrite=True)
    return DeployResult(
        target.service_name,
        image,
        revision.family_revision,
        previous.family_revision,
        time.monotonic() - started,
    )


def deploy(
    aws: AwsContext, env: str, image: str, tag: str, *, timeout: float = 600, progress: Progress = print
) -> DeployResult:
    """Deploy ``tag`` of ``image`` where the environment runs it."""
    target = DeployTarget.of(aws, env, image)
    sleep_time = 1.0 if aws.endpoint_url else 5.0  # the emulator answers at once
    return roll_out(aws, target, tag, timeout=timeout, sleep_time=sleep_time, progress=progress)

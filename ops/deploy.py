"""Roll out a new image of a service with ecs-deploy (DESIGN decisions 4 and 5).

A new task-definition revision that changes only the image, the service moved to it,
a wait with a timeout, a rollback to the previous revision when the deployment fails
(the ECS circuit breaker is on as well), and, only on success, the tag recorded in
SSM so that Terraform keeps it. The revision Terraform registered is never
deregistered; a failed revision is (ecs-deploy's rollback does that).
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import Any

import boto3
from ecs_deploy import cli as ecs_deploy_cli
from ecs_deploy.ecs import DeployAction, EcsClient, EcsError

from . import REPO, OpsError
from .platform import Settings, terraform_environ
from .terraform import Layer, backend_settings


class DeployFailed(OpsError):
    """The new revision did not become healthy; the service was rolled back."""


@dataclass(frozen=True)
class DeployTarget:
    """Where a service runs, as 03-services' `services` output describes it."""

    cluster_arn: str
    service_name: str
    container_name: str
    ecr_repository_url: str
    image_tag_parameter: str

    @classmethod
    def from_output(cls, value: dict[str, Any]) -> DeployTarget:
        return cls(**{name: value[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class DeployResult:
    service: str
    image: str
    revision: str
    previous_revision: str
    seconds: float


def git_short_sha() -> str:
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, check=True, capture_output=True, text=True
    ).stdout.strip()


def roll_out(
    target: DeployTarget, tag: str, *, region: str, timeout: int = 600, sleep_time: float = 5.0
) -> DeployResult:
    """Register a revision with the new image, deploy it and wait; roll back on failure."""
    started = time.monotonic()
    action = DeployAction(EcsClient(region=region), target.cluster_arn, target.service_name)
    previous = action.get_current_task_definition(action.service)
    candidate = action.get_current_task_definition(action.service)
    image = f"{target.ecr_repository_url}:{tag}"
    candidate.set_images(**{target.container_name: image})
    revision = action.update_task_definition(candidate)
    try:
        ecs_deploy_cli.deploy_task_definition(
            deployment=action,
            task_definition=revision,
            title=f"Deploying {revision.family_revision} ({image})",
            success_message=f"{target.service_name} runs {revision.family_revision}",
            failure_message=f"{target.service_name} did not become healthy on {revision.family_revision}",
            timeout=timeout,
            deregister=False,  # the previous revision may be Terraform's: keep it
            previous_task_definition=previous,
            ignore_warnings=False,
            sleep_time=sleep_time,
        )
    except EcsError as exc:
        try:
            ecs_deploy_cli.rollback_task_definition(
                action, old=previous, new=revision, timeout=timeout, sleep_time=sleep_time
            )
        except EcsError as rollback_error:
            raise DeployFailed(
                f"{target.service_name}: {image} failed ({exc}) and so did the rollback to "
                f"{previous.family_revision} ({rollback_error}): look at the service's events"
            ) from rollback_error
        raise DeployFailed(
            f"{target.service_name}: {image} failed ({exc}); rolled back to {previous.family_revision}"
        ) from exc
    boto3.client("ssm", region_name=region).put_parameter(
        Name=target.image_tag_parameter, Value=tag, Type="String", Overwrite=True
    )
    return DeployResult(
        target.service_name,
        image,
        revision.family_revision,
        previous.family_revision,
        time.monotonic() - started,
    )


def service_outputs(settings: Settings, service: str) -> dict[str, Any]:
    """What 03-services' `services` output says of ``service``. The process then talks to
    the environment: boto3 (ecs-deploy's too) reads the endpoint and credentials from os.environ."""
    environ = terraform_environ(settings)
    layer = Layer("03-services", settings.env, environ)
    layer.init()
    services = layer.outputs().get("services", {})
    if service not in services:
        raise ValueError(
            f"unknown service {service!r}: 03-services deploys {', '.join(sorted(services)) or 'nothing'}"
        )
    os.environ.update(environ)
    return dict(services[service])


def deploy(settings: Settings, service: str, tag: str, *, timeout: int = 600) -> DeployResult:
    """Deploy ``tag`` of ``service`` in the environment, as 03-services describes it."""
    target = DeployTarget.from_output(service_outputs(settings, service))
    sleep_time = 1.0 if settings.env == "local" else 5.0
    region = backend_settings(settings.env)["region"]
    return roll_out(target, tag, region=region, timeout=timeout, sleep_time=sleep_time)

"""Containers as ECS runs them: what an image's Dockerfile gives a container (environment,
user, command, health check, volumes), and the environment ECS builds from it and a task
definition's `environment` and `secrets`.

ECS starts a container with the image's `ENV` values, overlaid by the container
definition's `environment` (docker run --env: "you can override the existing environment
variables from the Docker image", API_ContainerOverride), and by its `secrets` resolved from
Secrets Manager or SSM (developerguide/secrets-envvar.html). It ignores the image's
`HEALTHCHECK`: only a `healthCheck` in the container definition runs
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockerfile_parse import DockerfileParser

from ops.aws import AwsContext

DURATION = re.compile(r"^(\d+)s$")


@dataclass(frozen=True)
class ImageConfig:
    """The final stage of a Dockerfile, as the container that runs the image sees it."""

    env: dict[str, str]
    user: str | None = None
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    volumes: list[str] = field(default_factory=list)
    healthcheck: dict[str, Any] | None = None  # in ECS's healthCheck shape

    @classmethod
    def from_dockerfile(cls, path: Path) -> ImageConfig:
        parser = DockerfileParser(path=str(path))
        last_from = max(i for i, item in enumerate(parser.structure) if item["instruction"] == "FROM")
        final = parser.structure[last_from:]
        values: dict[str, Any] = {"volumes": []}
        for item in final:
            instruction, value = item["instruction"], item["value"]
            if instruction == "USER":
                values["user"] = value
            elif instruction in ("CMD", "ENTRYPOINT"):
                values[instruction.lower()] = _exec_form(value)
            elif instruction == "VOLUME":
                values["volumes"] += _exec_form(value)
            elif instruction == "HEALTHCHECK":
                values["healthcheck"] = _health_check(value)
        return cls(env=dict(parser.envs), **values)

    @property
    def runs_as_root(self) -> bool:
        return self.user is None or self.user.split(":")[0] in ("0", "root")


def _exec_form(value: str) -> list[str]:
    value = value.strip()
    if value.startswith("["):
        return [str(part) for part in json.loads(value)]
    return ["/bin/sh", "-c", value]


def _health_check(value: str) -> dict[str, Any] | None:
    """`HEALTHCHECK [--interval=Ns ...] CMD ...` as ECS's healthCheck (Docker's defaults:
    30 s interval, 30 s timeout, 0 s start period, 3 retries)."""
    options, _, command = value.partition("CMD")
    if value.strip() == "NONE":
        return None
    settings = {"interval": 30, "timeout": 30, "startPeriod": 0, "retries": 3}
    names = {"interval": "interval", "timeout": "timeout", "start-period": "startPeriod"}
    names["retries"] = "retries"
    for option in shlex.split(options):
        name, _, setting = option.removeprefix("--").partition("=")
        seconds = DURATION.match(setting)
        settings[names[name]] = int(seconds.group(1) if seconds else setting)
    command = command.strip()
    argv = ["CMD", *json.loads(command)] if command.startswith("[") else ["CMD-SHELL", command]
    return {"command": argv, **settings}


def effective_environment(
    image: ImageConfig, container: Mapping[str, Any], resolve: Callable[[str], str]
) -> dict[str, str]:
    """The environment of a container started from ``image`` with ``container`` (a task
    definition's container definition); ``resolve`` reads a secret's valueFrom."""
    environ = dict(image.env)
    environ.update({item["name"]: item["value"] for item in container.get("environment") or []})
    environ.update({item["name"]: resolve(item["valueFrom"]) for item in container.get("secrets") or []})
    return environ


def secret_resolver(aws: AwsContext) -> Callable[[str], str]:
    """Reads a valueFrom as the ECS agent does: an SSM parameter (ARN or name), or a Secrets
    Manager secret ARN with an optional `:json-key:version-stage:version-id` suffix."""
    secrets, ssm = aws.client("secretsmanager"), aws.client("ssm")

    def resolve(value_from: str) -> str:
        parts = value_from.split(":")
        if len(parts) >= 7 and parts[2] == "secretsmanager":
            secret_id = ":".join(parts[:7])
            key, stage, version = [*parts[7:], "", "", ""][:3]
            options = {"VersionStage": stage} if stage else {"VersionId": version} if version else {}
            value = str(secrets.get_secret_value(SecretId=secret_id, **options)["SecretString"])
            return str(json.loads(value)[key]) if key else value
        name = value_from.split(":parameter", 1)[-1] if value_from.startswith("arn:") else value_from
        return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])

    return resolve

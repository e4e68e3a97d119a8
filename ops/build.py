"""Build (and push) a service's image with docker buildx, tagged with the short git SHA.

Where no Docker engine answers (as on the CI machines here) the build prints exactly
the commands it would run and stops with one line saying why; invoke's --dry prints
them without running anything.
"""

from __future__ import annotations

import base64
import shlex
import subprocess
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3

from . import REPO, OpsError
from .tools import require

# Build context of each image built here.
OBSERVABILITY = REPO / "infra" / "04-observability"
CONTEXTS = {
    "api-comments": REPO / "app",
    "ecs-discovery": OBSERVABILITY / "discovery",
    "grafana": OBSERVABILITY / "grafana",
}
PLATFORM = "linux/amd64"


class DockerUnavailable(OpsError):
    """No Docker engine answers: nothing was built."""


@dataclass(frozen=True)
class Command:
    argv: list[str]
    stdin: str | None = None  # a secret fed on standard input, never shown

    def __str__(self) -> str:
        return shlex.join(self.argv)


def context_of(service: str) -> str:
    if service not in CONTEXTS:
        raise ValueError(f"unknown service {service!r}: images are built for {', '.join(sorted(CONTEXTS))}")
    return str(CONTEXTS[service])


def repository_of(settings: Any, service: str) -> str:
    """The ECR repository an image is pushed to: a service's from 03-services, the images of
    the observability stack (discovery sidecar, Grafana) from 04-observability."""
    from .deploy import service_outputs
    from .platform import outputs

    if service in ("ecs-discovery", "grafana"):
        return str(outputs(settings, "04-observability")["repository_urls"][service])
    return str(service_outputs(settings, service)["ecr_repository_url"])


def ecr_login(repository_url: str, region: str) -> Command:
    """`docker login` for the repository's registry, with a token from GetAuthorizationToken."""
    registry = urlsplit(f"//{repository_url}").netloc
    token = boto3.client("ecr", region_name=region).get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    return Command(["docker", "login", "--username", user, "--password-stdin", registry], stdin=password)


def build_commands(
    service: str, tag: str, *, repository_url: str | None = None, push: bool = False
) -> list[Command]:
    """The buildx command: `<repository>:<tag>` pushed, or `<service>:<tag>` loaded locally."""
    if push and not repository_url:
        raise ValueError("--push needs the service's ECR repository (from 03-services' outputs)")
    image = f"{repository_url or service}:{tag}"
    argv = ["docker", "buildx", "build", "--platform", PLATFORM, "--tag", image]
    argv += ["--label", f"org.opencontainers.image.revision={tag}", "--push" if push else "--load"]
    return [Command([*argv, context_of(service)])]


def docker_engine_error() -> str | None:
    """None when a Docker engine answers, else why not."""
    docker = require("docker")
    answer = subprocess.run(
        [docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True
    )
    if answer.returncode == 0:
        return None
    return (answer.stderr.strip().splitlines() or ["docker info failed"])[-1]


def run(commands: list[Command]) -> None:
    """Run the commands, or raise DockerUnavailable listing them when no engine answers."""
    reason = docker_engine_error()
    if reason:
        listing = "\n".join(f"  {command}" for command in commands)
        raise DockerUnavailable(
            f"no Docker engine answers ({reason}); nothing was built. It would run:\n{listing}"
        )
    for command in commands:
        subprocess.run(command.argv, input=command.stdin, text=True, check=True)

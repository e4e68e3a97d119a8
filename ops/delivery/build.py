"""Build (and push) the images of this repository with docker buildx, tagged with the short git SHA.

The images and the directory each is built from are common.tfvars' `images`; 01-base makes
their ECR repositories (`<env>/<name>`). Where no Docker engine answers (as on the CI
machines here) the build prints exactly the commands it would run and stops with one line
saying why; invoke's --dry prints them without running anything.
"""

from __future__ import annotations

import base64
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ops import REPO, OpsError
from ops.aws import AwsContext
from ops.terraform.layers import common_settings
from ops.tools import require

if TYPE_CHECKING:
    from ops.platform import Platform

PLATFORM = "linux/amd64"
# The tag a first apply runs until the first deploy records one (docs/adr/0010).
BOOTSTRAP_TAG = "bootstrap"


class DockerUnavailable(OpsError):
    """No Docker engine answers: nothing was built."""


@dataclass(frozen=True)
class Command:
    argv: list[str]
    stdin: str | None = None  # a secret fed on standard input, never shown

    def __str__(self) -> str:
        return shlex.join(self.argv)


def images() -> dict[str, Path]:
    """Each image built here and the directory it is built from (common.tfvars)."""
    return {name: REPO / directory for name, directory in common_settings()["images"].items()}


def context_of(image: str) -> Path:
    contexts = images()
    if image not in contexts:
        raise ValueError(f"unknown image {image!r}: images are built for {', '.join(sorted(contexts))}")
    return contexts[image]


def repository_of(aws: AwsContext, env: str, image: str) -> str:
    """The URL of the image's ECR repository, which 01-base names <env>/<image>."""
    ecr = aws.client("ecr")
    try:
        (found,) = ecr.describe_repositories(repositoryNames=[f"{env}/{image}"])["repositories"]
    except ecr.exceptions.RepositoryNotFoundException:
        raise OpsError(
            f"no ECR repository {env}/{image}: apply 01-base first "
            f"(`invoke apply --layer 01-base --env {env}`)"
        ) from None
    return str(found["repositoryUri"])


def ecr_login(aws: AwsContext, repository_url: str) -> Command:
    """`docker login` for the repository's registry, with a token from GetAuthorizationToken."""
    registry = urlsplit(f"//{repository_url}").netloc
    token = aws.client("ecr").get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    return Command(["docker", "login", "--username", user, "--password-stdin", registry], stdin=password)


def build_commands(
    image: str, tags: list[str], *, repository_url: str | None = None, push: bool = False
) -> list[Command]:
    """The buildx command: `<repository>:<tag>` pushed, or `<image>:<tag>` loaded locally."""
    if push and not repository_url:
        raise ValueError("--push needs the image's ECR repository (01-base makes it)")
    argv = ["docker", "buildx", "build", "--platform", PLATFORM]
    for tag in tags:
        argv += ["--tag", f"{repository_url or image}:{tag}"]
    argv += ["--label", f"org.opencontainers.image.revision={tags[0]}", "--push" if push else "--load"]
    return [Command([*argv, str(context_of(image))])]


def push_commands(aws: AwsContext, env: str, image: str, tags: list[str]) -> list[Command]:
    repository = repository_of(aws, env, image)
    return [ecr_login(aws, repository), *build_commands(image, tags, repository_url=repository, push=True)]


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


def never_pushed(aws: AwsContext, env: str) -> list[str]:
    """The images whose repository holds no `bootstrap` tag: nothing could run them yet."""
    ecr = aws.client("ecr")
    missing = []
    for image in images():
        try:
            ecr.describe_images(repositoryName=f"{env}/{image}", imageIds=[{"imageTag": BOOTSTRAP_TAG}])
        except ecr.exceptions.ImageNotFoundException:
            missing.append(image)
    return missing


def push_first_images(platform: Platform, tag: str | None = None) -> list[str]:
    """Build and push, as `<sha>` and `bootstrap`, every image never pushed to the environment's
    registries, so the layers after 01-base reach steady state on an empty account."""
    from ops.delivery.changes import git_short_sha

    missing = never_pushed(platform.aws, platform.env)
    if not missing:
        return []
    tags = [tag or git_short_sha(), BOOTSTRAP_TAG]
    commands = [cmd for image in missing for cmd in push_commands(platform.aws, platform.env, image, tags)]
    try:
        run(commands)
    except DockerUnavailable as exc:
        raise DockerUnavailable(
            f"01-base made the registries, but {', '.join(missing)} was never pushed and the next layers "
            f"run it: {exc}"
        ) from None
    return missing

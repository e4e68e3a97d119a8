"""invoke build: the buildx command, the ECR login, and a clear stop where no Docker engine runs.

No Docker engine runs on these machines (the docker CLI does): the tests use the real
CLI and check that the build stops with one line instead of a traceback.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import pytest

from ops import REPO, OpsError
from ops.aws import AwsContext
from ops.delivery.build import (
    DockerUnavailable,
    build_commands,
    docker_engine_error,
    ecr_login,
    images,
    never_pushed,
    push_commands,
    push_first_images,
    run,
)
from ops.platform import Platform
from ops.settings import Settings

REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/api-comments"


def test_local_build_loads_an_image_tagged_with_the_sha() -> None:
    (command,) = build_commands("api-comments", ["abc1234"])
    assert command.argv == [
        "docker", "buildx", "build", "--platform", "linux/amd64", "--tag", "api-comments:abc1234",
        "--label", "org.opencontainers.image.revision=abc1234", "--load", str(REPO / "app"),
    ]  # fmt: skip


def test_the_images_and_their_directories_come_from_common_tfvars() -> None:
    assert images() == {
        "api-comments": REPO / "app",
        "ecs-discovery": REPO / "infra/04-observability/discovery",
        "grafana": REPO / "infra/04-observability/grafana",
    }
    assert all((directory / "Dockerfile").is_file() for directory in images().values())


def test_push_build_targets_the_ecr_repository() -> None:
    (command,) = build_commands(
        "api-comments", ["abc1234", "bootstrap"], repository_url=REPOSITORY, push=True
    )
    assert [f"{REPOSITORY}:abc1234", f"{REPOSITORY}:bootstrap"] == [
        command.argv[i + 1] for i, arg in enumerate(command.argv) if arg == "--tag"
    ]
    assert "--push" in command.argv
    with pytest.raises(ValueError, match="--push needs the image's ECR repository"):
        build_commands("api-comments", ["abc1234"], push=True)
    with pytest.raises(ValueError, match="unknown image 'reports'"):
        build_commands("reports", ["abc1234"])


def test_push_logs_in_to_the_repository_01_base_made_without_showing_the_token(aws: AwsContext) -> None:
    ecr = aws.client("ecr")
    with pytest.raises(OpsError, match=r"no ECR repository build/grafana: apply 01-base first"):
        push_commands(aws, "build", "grafana", ["abc1234"])
    repository = ecr.create_repository(repositoryName="build/grafana")["repository"]["repositoryUri"]
    token: Any = ecr.get_authorization_token()
    user, password = (
        base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode().split(":", 1)
    )
    login, push = push_commands(aws, "build", "grafana", ["abc1234"])
    registry = repository.split("/")[0]
    assert login.argv == ["docker", "login", "--username", user, "--password-stdin", registry]
    assert login.stdin == password
    assert password not in str(login)
    assert f"{repository}:abc1234" in push.argv
    assert ecr_login(aws, repository).argv == login.argv


def test_images_never_pushed_are_the_ones_without_a_bootstrap_tag(aws: AwsContext) -> None:
    """What `invoke apply` builds right after 01-base on an empty account (docs/adr/0010)."""
    ecr = aws.client("ecr")
    for image in images():
        ecr.create_repository(repositoryName=f"first/{image}")
    assert never_pushed(aws, "first") == list(images())
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    ecr.put_image(repositoryName="first/api-comments", imageManifest=manifest, imageTag="bootstrap")
    assert never_pushed(aws, "first") == ["ecs-discovery", "grafana"]


@pytest.mark.skipif(docker_engine_error() is None, reason="a Docker engine answers here: the build would run")
def test_without_an_engine_the_build_stops_with_the_commands_it_would_run() -> None:
    commands = build_commands("api-comments", ["abc1234"])
    with pytest.raises(
        DockerUnavailable, match=r"(?s)^no Docker engine answers .*nothing was built.*buildx build"
    ):
        run(commands)


def test_dry_build_prints_exactly_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "--dry", "build", "api-comments", "--tag", "abc1234"],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(build_commands("api-comments", ["abc1234"])[0])


@pytest.mark.skipif(docker_engine_error() is None, reason="a Docker engine answers here: the build would run")
def test_a_first_apply_without_an_engine_names_the_images_it_could_not_push(aws: AwsContext) -> None:
    ecr = aws.client("ecr")
    for image in images():
        ecr.create_repository(repositoryName=f"dev/{image}")
    platform = Platform(Settings(env="dev"), aws, "bucket")
    expected = (r"^01-base made the registries, but api-comments, ecs-discovery, grafana was never pushed "
                r"and the next layers run it: no Docker engine answers")  # fmt: skip
    with pytest.raises(DockerUnavailable, match=expected):
        push_first_images(platform, tag="abc1234")

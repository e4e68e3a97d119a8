"""invoke build: the buildx command, the ECR login, and a clear stop where no Docker engine runs.

No Docker engine runs on these machines (the docker CLI does): the tests use the real
CLI and check that the build stops with one line instead of a traceback.
"""

from __future__ import annotations

import base64
import subprocess
import sys
from typing import Any

import boto3
import pytest

from ops import REPO, emulator
from ops.build import DockerUnavailable, build_commands, docker_engine_error, ecr_login, run
from ops.server import free_port

REPOSITORY = "123456789012.dkr.ecr.us-east-1.amazonaws.com/dev/api-comments"


def test_local_build_loads_an_image_tagged_with_the_sha() -> None:
    (command,) = build_commands("api-comments", "abc1234")
    assert command.argv == [
        "docker", "buildx", "build", "--platform", "linux/amd64", "--tag", "api-comments:abc1234",
        "--label", "org.opencontainers.image.revision=abc1234", "--load", str(REPO / "app"),
    ]  # fmt: skip


def test_push_build_targets_the_ecr_repository() -> None:
    (command,) = build_commands("api-comments", "abc1234", repository_url=REPOSITORY, push=True)
    assert f"{REPOSITORY}:abc1234" in command.argv
    assert "--push" in command.argv
    with pytest.raises(ValueError, match="--push needs the service's ECR repository"):
        build_commands("api-comments", "abc1234", push=True)
    with pytest.raises(ValueError, match="unknown service 'reports'"):
        build_commands("reports", "abc1234")


def test_ecr_login_uses_the_authorization_token_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    port = free_port()
    server = emulator.start_in_process(port)
    try:
        for name, value in emulator.client_env(port).items():
            monkeypatch.setenv(name, value)
        token: Any = boto3.client("ecr", region_name="us-east-1").get_authorization_token()
        user, password = (
            base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode().split(":", 1)
        )
        login = ecr_login(REPOSITORY, "us-east-1")
    finally:
        server.stop()
    registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert login.argv == ["docker", "login", "--username", user, "--password-stdin", registry]
    assert login.stdin == password
    assert password not in str(login)


@pytest.mark.skipif(docker_engine_error() is None, reason="a Docker engine answers here: the build would run")
def test_without_an_engine_the_build_stops_with_the_commands_it_would_run() -> None:
    commands = build_commands("api-comments", "abc1234")
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
    assert result.stdout.strip() == str(build_commands("api-comments", "abc1234")[0])

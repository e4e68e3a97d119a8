"""Tool discovery, the server command, and the task surface."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ops import REPO
from ops.server import free_port, server_command
from ops.tools import MissingTool, require


def test_missing_tool_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    with pytest.raises(MissingTool, match=r"^wrk was not found on PATH: apt-get install wrk$"):
        require("wrk")


def test_tools_of_the_running_virtualenv_come_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert require("granian") == str(Path(sys.executable).parent / "granian")


def test_the_server_command_is_the_images() -> None:
    argv, env = server_command(port=9000, workers=3, store="redis://127.0.0.1:6379/0")
    assert argv == [sys.executable, "-m", "api_comments.server"]  # the image's CMD, app/Dockerfile
    assert 'CMD ["python", "-m", "api_comments.server"]' in (REPO / "app" / "Dockerfile").read_text()
    assert env == {
        "HOST": "127.0.0.1",
        "PORT": "9000",
        "SERVER_WORKERS": "3",
        "SERVER_THREADS": "4",
        "API_COMMENTS_STORE_URL": "redis://127.0.0.1:6379/0",
    }


def invoke(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=environ,
    )


@pytest.mark.parametrize(
    ("env", "flags", "port"),
    [
        ({}, [], "4566"),  # the default, ops.settings
        ({"INVOKE_TERRAFORM_EMULATOR_PORT": "4599"}, [], "4599"),  # invoke's configuration over the default
        ({"INVOKE_TERRAFORM_EMULATOR_PORT": "4599"}, ["--port", "4598"], "4598"),  # the task's flag over both
    ],
)
def test_the_emulator_port_has_one_default_and_two_overrides(
    env: dict[str, str], flags: list[str], port: str
) -> None:
    result = invoke("--dry", "down", *flags, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"would stop the data plane and the emulator on port {port}"


def listed_tasks() -> dict[str, str]:
    """Every task `invoke --list` shows, by its full name (`perf.bench`), with its help line."""
    listing = invoke("--list", "--list-format", "json")
    assert listing.returncode == 0, listing.stderr

    def walk(collection: dict[str, Any], prefix: str) -> dict[str, str]:
        tasks = {prefix + task["name"]: task["help"] for task in collection["tasks"]}
        for child in collection["collections"]:
            tasks |= walk(child, f"{prefix}{child['name']}.")
        return tasks

    return walk(json.loads(listing.stdout), "")


def test_every_task_is_listed_with_a_help_line() -> None:
    tasks = listed_tasks()
    # The design's commands at the root; the measurements and observability checks by area.
    assert set(tasks) >= {
        "up", "down", "bootstrap", "region", "plan", "apply", "destroy", "output", "validate", "docs",
        "build", "images", "deploy", "serve", "lock", "actionlint", "iam-report",
        "perf.bench", "perf.ingress", "perf.slow-clients", "perf.discovery", "perf.loadtest",
        "perf.ratelimit-check", "observability.dashboards", "observability.check",
    }  # fmt: skip
    assert all(help_line and len(help_line) <= 72 for help_line in tasks.values()), tasks


def test_dry_serve_prints_the_server_command_without_running_it() -> None:
    result = invoke("--dry", "serve", "--port", "8123", "--workers", "3")
    assert result.returncode == 0, result.stderr
    assert "-m api_comments.server" in result.stdout + result.stderr
    assert "http://127.0.0.1:8123" in result.stdout


def test_destroy_names_what_it_destroys_and_asks_outside_local() -> None:
    """No default target, and outside local nothing is destroyed unless confirmed (a terminal
    answer or --yes): both refusals come before any AWS call."""
    bare = invoke("destroy")
    assert bare.returncode == 1
    assert "give --layer NAME or --all" in bare.stderr
    unattended = subprocess.run(
        [sys.executable, "-m", "invoke", "destroy", "--all", "--env", "dev"],
        cwd=REPO, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert unattended.returncode == 1
    assert (
        unattended.stderr.strip()
        == "error: destroying dev needs confirmation: run it in a terminal, or pass --yes"
    )
    dry = invoke("--dry", "destroy", "--all")
    assert dry.returncode == 0, dry.stderr
    assert (
        "would destroy, in this order: 04-observability, 03-services, 02-traefik, 01-base (local)"
        in dry.stdout
    )


def test_the_tasks_that_change_something_say_what_they_would_do_under_dry() -> None:
    order = "01-base, 02-traefik, 03-services, 04-observability"
    for args, expected in (
        (["up"], f"would start the emulator, bootstrap local, then apply, in this order: {order}"),
        (["apply", "--all", "--env", "dev"], f"would apply, in this order: {order} (dev)"),
        (["down", "--port", "4599"], "would stop the data plane and the emulator on port 4599"),
    ):
        result = invoke("--dry", *args)
        assert result.returncode == 0, result.stderr
        assert expected in result.stdout


# Tasks that only read (AWS, Terraform state, files) and change nothing: --dry runs them as they are.
READ_ONLY = {"plan", "output", "region", "images", "validate", "actionlint", "iam-report"}
# The arguments a task needs to run at all.
REQUIRED = {
    "apply": ["--all"],
    "destroy": ["--all"],
    "deploy": ["api-comments", "--tag", "0123abc"],
    "build": ["api-comments", "--tag", "0123abc"],
    "perf.ratelimit-check": ["--host", "http://127.0.0.1:9"],
}


def test_every_task_that_changes_something_says_what_it_would_do_under_dry() -> None:
    names = set(listed_tasks())
    assert names >= READ_ONLY
    for name in sorted(names - READ_ONLY):
        result = invoke("--dry", name, *REQUIRED.get(name, []))
        assert result.returncode == 0, f"{name}: {result.stderr}"
        # What it would do, or (build, serve) the commands it would run, and nothing done.
        said = result.stdout + result.stderr
        assert "would " in said or name in {"build", "serve"}, f"invoke --dry {name} ran: {said[:300]}"


def test_a_test_group_runs_on_one_worker(tmp_path: Path) -> None:
    """The platform's chain of tests relies on `--dist loadgroup` keeping an xdist_group on one
    worker (noxfile.py); pytest 9 with pytest-xdist 3.8 silently split it."""
    (tmp_path / "test_group.py").write_text(
        "import os\nimport pytest\n"
        "pytestmark = pytest.mark.xdist_group('chain')\n"
        + "".join(
            f"def test_{i}():\n    print('worker', os.environ['PYTEST_XDIST_WORKER'])\n" for i in range(6)
        )
    )
    (tmp_path / "test_other.py").write_text(
        "import pytest\n@pytest.mark.parametrize('i', range(20))\ndef test_x(i):\n    pass\n"
    )
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-v",
            str(tmp_path)]  # fmt: skip
    result = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    workers = set(re.findall(r"\[(gw\d)\] .*PASSED .*test_group\.py", result.stdout))
    assert len(workers) == 1, result.stdout


def test_a_stopped_emulator_is_one_line_naming_what_to_run() -> None:
    port = str(free_port())  # nothing listens there
    result = invoke("plan", "--layer", "03-services", env={"INVOKE_TERRAFORM_EMULATOR_PORT": port})
    assert result.returncode == 1
    expected = f"error: http://127.0.0.1:{port} does not answer: start the local platform with `invoke up`"
    assert result.stderr.strip() == expected

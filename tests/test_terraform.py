"""Terraform: formatting and validation of every root and module, and the whole
platform applied, re-planned and destroyed on the embedded emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import pytest

from ops import REPO
from ops.deploy import deploy
from ops.loadtest import deployed_target
from ops.plan_comment import marker
from ops.platform import Settings, apply_layers, destroy_layers, plan_layers, terraform_environ
from ops.terraform import INFRA, Layer, TerraformError, existing_layers, roots, run_apart, validate

from .github_standin import GitHubStandIn

MODULES = sorted(path.parent for path in INFRA.glob("modules/*/main.tf"))


def terraform(*args: str, cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return run_apart(*args, cwd=cwd, data_dir=data_dir, plugin_mirror=os.environ.get("TF_PLUGIN_MIRROR"))


def test_every_file_is_formatted(tmp_path: Path) -> None:
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=INFRA, data_dir=tmp_path)
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", roots(), ids=lambda path: str(path.relative_to(INFRA)))
def test_root_and_module_validate(root: Path, tmp_path: Path) -> None:
    validate(root, os.environ.get("TF_PLUGIN_MIRROR"), tmp_path)  # raises with terraform's error


def test_validate_reports_the_root_and_terraforms_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\n  value = var.missing\n}\n')
    with pytest.raises(
        TerraformError, match=r"(?s)terraform validate failed in .*Reference to undeclared input variable"
    ):
        validate(tmp_path, os.environ.get("TF_PLUGIN_MIRROR"), tmp_path / "data")


def test_every_layer_pins_the_provider_and_commits_its_lock_file() -> None:
    for layer in existing_layers():
        versions = (INFRA / layer / "versions.tf").read_text()
        assert 'version = "5.100.0"' in versions
        lock = INFRA / layer / ".terraform.lock.hcl"
        assert lock.exists(), f"{lock} is not committed"
        assert 'version     = "5.100.0"' in lock.read_text()


@pytest.mark.slow
@pytest.mark.timeout(1200)  # four layers applied, planned, deployed and destroyed: minutes, not seconds
def test_pull_request_flow_then_apply_deploy_clean_plan_destroy(emulator_port: int) -> None:
    """The delivery flow end to end: plan comments on a pull request (GitHub stand-in), apply,
    plan comments again (updated in place, one per layer), deploy, a clean plan, destroy."""
    settings = Settings(
        env="local", plugin_mirror=os.environ.get("TF_PLUGIN_MIRROR"), emulator_port=emulator_port
    )
    layers = existing_layers()
    quiet = lambda _: None  # noqa: E731
    github = GitHubStandIn()
    server, api_url = github.serve()
    task_env = {
        **os.environ,
        "INVOKE_TERRAFORM_EMULATOR_PORT": str(emulator_port),
        "GITHUB_API_URL": api_url,
        "GITHUB_REPOSITORY": "acme/platform",
        "GITHUB_TOKEN": github.token,
        "GITHUB_REF": "refs/pull/12/merge",
    }

    def invoke_plan(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "invoke", "plan", "--comment", *args]
        return subprocess.run(argv, cwd=REPO, env=task_env, capture_output=True, text=True, check=False)

    def comments() -> dict[str, str]:
        return {c.body.splitlines()[0]: c.body for c in github.on_pull_request("acme/platform", 12)}

    try:
        first = invoke_plan("--layer", "01-base")  # nothing applied yet: everything to add
        assert first.returncode == 0, first.stderr
        assert "01-base: plan comment created on acme/platform#12" in first.stdout
        assert "to add, 0 to change, 0 to replace, 0 to destroy.**" in comments()[marker("01-base", "local")]

        with patch.dict(os.environ):  # the tasks point this process at the emulator
            results = apply_layers(settings, layers, progress=quiet)
        assert [r.layer for r in results] == layers
        assert all(r.resources > 0 for r in results)
        assert set(results[0].outputs["github_role_arns"]) == {"plan", "apply", "deploy"}  # local.tfvars

        second = invoke_plan("--all", "--detailed-exitcode")  # exit 0: nothing left to change
        assert second.returncode == 0, second.stdout + second.stderr
        assert "01-base: plan comment updated" in second.stdout
        assert set(comments()) == {marker(layer, "local") for layer in layers}
        assert all("**No changes.**" in body for body in comments().values())
        assert len(github.on_pull_request("acme/platform", 12)) == len(layers)

        with patch.dict(os.environ):
            # DESIGN decision 4: after a deploy, Terraform sees no change and keeps the image.
            result = deploy(settings, "api-comments", "0123abc", timeout=60)
            assert result.image.endswith("/local/api-comments:0123abc")
            assert result.revision == "local-api-comments:2"
            (services,) = plan_layers(settings, ["03-services"], progress=quiet)
            assert not services.has_changes, (services.add, services.change, services.replace)

            # `invoke ratelimit-check --env local` probes the deployed service behind every Traefik task.
            url, traefik_tasks = deployed_target(settings, "api-comments")
            assert url == "https://api-comments.platform.local.test"
            assert traefik_tasks >= 1

            destroy_layers(settings, layers, progress=quiet)
            environ = terraform_environ(settings)
            leftovers = {name: Layer(name, "local", environ).resource_count() for name in layers}
        assert leftovers == dict.fromkeys(layers, 0)
    finally:
        server.shutdown()


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_module_logic_with_mock_provider(module: Path, tmp_path: Path) -> None:
    assert list(module.glob("tests/*.tftest.hcl")), f"{module} has no terraform test"
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=module, data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    result = terraform("test", "-no-color", cwd=module, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout

"""Terraform: formatting and validation of every root and module, and the whole
platform applied, re-planned and destroyed on the embedded emulator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from unittest.mock import patch

import pytest

from ops.deploy import deploy
from ops.platform import Settings, apply_layers, destroy_layers, plan_layers, terraform_environ
from ops.terraform import INFRA, Layer, cli_config, existing_layers
from ops.tools import require

MODULES = sorted(path.parent for path in INFRA.glob("modules/*/main.tf"))
ROOTS = [INFRA / layer for layer in existing_layers()] + MODULES


def terraform(*args: str, cwd: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Terraform with its own data directory, so a developer's initialised layers are left alone."""
    env = {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(cli_config(os.environ.get("TF_PLUGIN_MIRROR"))),
        "TF_DATA_DIR": str(data_dir),
        "TF_INPUT": "0",
    }
    return subprocess.run(
        [require("terraform"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_every_file_is_formatted(tmp_path: Path) -> None:
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=INFRA, data_dir=tmp_path)
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", ROOTS, ids=lambda path: str(path.relative_to(INFRA)))
def test_root_and_module_validate(root: Path, tmp_path: Path) -> None:
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=root, data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    result = terraform("validate", "-no-color", cwd=root, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_every_layer_pins_the_provider_and_commits_its_lock_file() -> None:
    for layer in existing_layers():
        versions = (INFRA / layer / "versions.tf").read_text()
        assert 'version = "5.100.0"' in versions
        lock = INFRA / layer / ".terraform.lock.hcl"
        assert lock.exists(), f"{lock} is not committed"
        assert 'version     = "5.100.0"' in lock.read_text()


@pytest.mark.slow
@pytest.mark.timeout(1200)  # four layers applied, planned, deployed and destroyed: minutes, not seconds
def test_platform_applies_then_plans_clean_then_destroys(emulator_port: int) -> None:
    settings = Settings(
        env="local", plugin_mirror=os.environ.get("TF_PLUGIN_MIRROR"), emulator_port=emulator_port
    )
    layers = existing_layers()
    quiet = lambda _: None  # noqa: E731

    with patch.dict(os.environ):  # the tasks point this process at the emulator
        results = apply_layers(settings, layers, progress=quiet)
        assert [r.layer for r in results] == layers
        assert all(r.resources > 0 for r in results)

        summaries = plan_layers(settings, layers, progress=quiet)
        changed = {s.layer: (s.add, s.change, s.replace, s.destroy) for s in summaries if s.has_changes}
        assert changed == {}, f"a second plan should show no changes: {changed}"

        # DESIGN decision 4: after a deploy, Terraform sees no change and keeps the image.
        result = deploy(settings, "api-comments", "0123abc", timeout=60)
        assert result.image.endswith("/local/api-comments:0123abc")
        assert result.revision == "local-api-comments:2"
        (services,) = plan_layers(settings, ["03-services"], progress=quiet)
        assert not services.has_changes, (services.add, services.change, services.replace, services.destroy)

        destroy_layers(settings, layers, progress=quiet)
        environ = terraform_environ(settings)
        leftovers = {name: Layer(name, "local", environ).resource_count() for name in layers}
        assert leftovers == dict.fromkeys(layers, 0)


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_module_logic_with_mock_provider(module: Path, tmp_path: Path) -> None:
    assert list(module.glob("tests/*.tftest.hcl")), f"{module} has no terraform test"
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=module, data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    result = terraform("test", "-no-color", cwd=module, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout

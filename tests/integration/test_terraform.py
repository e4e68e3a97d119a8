"""Terraform: formatting and validation of every root and module, and the module's logic
under `terraform test` (the whole platform on the emulator is tests/e2e/test_platform.py)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from ops import emulator
from ops.terraform.layers import INFRA, TerraformError, existing_layers, parse_hcl, roots, run_apart, validate

MODULES = sorted(path.parent for path in INFRA.glob("modules/*/main.tf"))


def terraform(
    *args: str, cwd: Path, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    mirror = os.environ.get("TF_PLUGIN_MIRROR")
    return run_apart(*args, cwd=cwd, data_dir=data_dir, plugin_mirror=mirror, env=env)


def test_every_file_is_formatted(tmp_path: Path) -> None:
    result = terraform("fmt", "-check", "-recursive", "-diff", cwd=INFRA, data_dir=tmp_path)
    assert result.returncode == 0, f"run `terraform fmt -recursive infra`:\n{result.stdout}{result.stderr}"


@pytest.mark.parametrize("root", roots(), ids=lambda path: str(path.relative_to(INFRA)))
def test_root_and_module_validate(root: Path, tmp_path: Path) -> None:
    validate(root, os.environ.get("TF_PLUGIN_MIRROR"), tmp_path)  # raises with terraform's error


def test_a_registry_out_of_reach_without_a_mirror_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The registry made unreachable here and on any machine: every HTTPS request goes to a
    # proxy that refuses the connection.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    provider = 'aws = { source = "hashicorp/aws", version = "5.100.0" }'
    (tmp_path / "main.tf").write_text(f"terraform {{\n  required_providers {{\n    {provider}\n  }}\n}}\n")
    with pytest.raises(TerraformError) as error:
        validate(tmp_path, None, tmp_path / "data")
    assert str(error.value).count("\n") == 0, str(error.value)
    assert "could not reach registry.terraform.io" in str(error.value)
    assert "set TF_PLUGIN_MIRROR" in str(error.value)


def test_validate_reports_the_root_and_terraforms_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "x" {\n  value = var.missing\n}\n')
    with pytest.raises(
        TerraformError, match=r"(?s)terraform validate failed in .*Reference to undeclared input variable"
    ):
        validate(tmp_path, os.environ.get("TF_PLUGIN_MIRROR"), tmp_path / "data")


def test_every_layer_pins_one_exact_provider_version_and_its_lock_file_holds_it() -> None:
    """An exact pin (the mirror holds one version), and a committed lock file of that version:
    a bump of versions.tf without `terraform init -upgrade` fails here, not in CI's init."""
    pins = set()
    for layer in existing_layers():
        (provider,) = parse_hcl((INFRA / layer / "versions.tf").read_text())["terraform"][0][
            "required_providers"
        ]
        version = provider["aws"]["version"]
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{layer} pins {version!r}, not one exact version"
        lock = INFRA / layer / ".terraform.lock.hcl"
        assert lock.exists(), f"{lock} is not committed"
        (locked,) = [
            block
            for block in parse_hcl(lock.read_text())["provider"]
            if "registry.terraform.io/hashicorp/aws" in block
        ]
        assert locked["registry.terraform.io/hashicorp/aws"]["version"] == version, (
            f"{lock} locks another version"
        )
        pins.add(version)
    assert len(pins) == 1, f"the layers pin different provider versions: {sorted(pins)}"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_module_logic_under_terraform_test(module: Path, tmp_path: Path, emulator_port: int) -> None:
    """A mock provider where Terraform can mock what the module makes; the session's emulator
    where it cannot (ephemeral resources)."""
    assert list(module.glob("tests/*.tftest.hcl")), f"{module} has no terraform test"
    init = terraform("init", "-backend=false", "-input=false", "-no-color", cwd=module, data_dir=tmp_path)
    assert init.returncode == 0, init.stderr
    result = terraform(
        "test", "-no-color", cwd=module, data_dir=tmp_path, env=emulator.client_env(emulator_port)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 failed" in result.stdout


def plan_settings(tmp_path: Path, env: str, *overrides: str) -> subprocess.CompletedProcess[str]:
    """A plan of a root holding only the shared settings, with an environment's tfvars: the
    variable validations every layer runs first."""
    root = tmp_path / "settings-only"
    root.mkdir(exist_ok=True)
    (root / "settings.tf").unlink(missing_ok=True)
    (root / "settings.tf").symlink_to(INFRA / "environments" / "settings.tf")
    assert (
        terraform("init", "-input=false", "-no-color", cwd=root, data_dir=tmp_path / "data").returncode == 0
    )
    files = [f"-var-file={INFRA / 'environments' / name}" for name in ("common.tfvars", f"{env}.tfvars")]
    variables = [f"-var={item}" for item in ("state_bucket=b", *overrides)]
    return terraform(
        "plan", "-input=false", "-no-color", *files, *variables, cwd=root, data_dir=tmp_path / "data"
    )


@pytest.mark.parametrize("env", ["local", "dev", "prd"])
def test_every_environment_passes_the_shared_validations(env: str, tmp_path: Path) -> None:
    result = plan_settings(tmp_path, env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("domain", ["dev.platform.example.com", "platform.test", "example.org"])
def test_aws_environments_refuse_a_reserved_domain(domain: str, tmp_path: Path) -> None:
    """Route 53 refuses example.* zones, and nothing delegates .test: ACM could never validate."""
    result = plan_settings(tmp_path, "dev", f"domain_name={domain}")
    assert result.returncode == 1
    assert "must be a domain you control, not a reserved name" in result.stderr
    assert plan_settings(tmp_path, "local", f"domain_name={domain}").returncode == 0


def test_runbook_links_need_a_repository_or_an_address(tmp_path: Path) -> None:
    result = plan_settings(tmp_path, "dev", "github_repository=")
    assert result.returncode == 1
    assert "every alert links to its runbook" in result.stderr
    runbooks = 'observability={runbook_url="https://wiki.example.org/runbooks"}'
    assert plan_settings(tmp_path, "dev", "github_repository=", runbooks).returncode == 0

"""The one place that runs Terraform (through python-terraform), so it can be replaced here alone.

A layer is a Terraform root under infra/; an environment is a tfvars file and an S3
backend config under infra/environments/ (with common.tfvars, shared by every environment).
Each Terraform process gets its environment explicitly: the AWS context (emulator or
account), the CLI config with the provider mirror; the tasks' own environment is left alone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from python_terraform import IsFlagged, Terraform

from ops import REPO, OpsError
from ops.tools import require

INFRA = REPO / "infra"
ENVIRONMENTS_DIR = INFRA / "environments"
LAYERS = ("01-base", "02-traefik", "03-services", "04-observability")
# An environment is its <name>.tfvars and <name>.s3.tfbackend; local (the emulator) first.
ENVIRONMENTS = tuple(
    sorted((p.name.removesuffix(".s3.tfbackend") for p in ENVIRONMENTS_DIR.glob("*.s3.tfbackend")),
           key=lambda env: (env != "local", env))
)  # fmt: skip
DATA = REPO / ".data"
COMMON_TFVARS = ENVIRONMENTS_DIR / "common.tfvars"


class TerraformError(OpsError):
    """A Terraform command failed; the message carries its own error output."""


def existing_layers() -> list[str]:
    return [layer for layer in LAYERS if any((INFRA / layer).glob("*.tf"))]


def backend_settings(env: str) -> dict[str, str]:
    """The simple ``key = value`` pairs of infra/environments/<env>.s3.tfbackend; ``bucket`` is
    a template with ``{account_id}`` (state_bucket fills it in)."""
    path = ENVIRONMENTS_DIR / f"{env}.s3.tfbackend"
    if not path.exists():
        raise ValueError(f"unknown environment {env!r}: {path.relative_to(REPO)} does not exist")
    pairs = re.findall(r'^\s*(\w+)\s*=\s*"?([^"\n]*?)"?\s*$', path.read_text(), flags=re.MULTILINE)
    return dict(pairs)


def state_bucket(env: str, account_id: str) -> str:
    """The environment's state bucket: bucket names are global, so the name carries the account
    (docs/adr/0011)."""
    return backend_settings(env)["bucket"].format(account_id=account_id)


def common_settings() -> dict[str, Any]:
    """infra/environments/common.tfvars: what every environment shares (repository, images)."""
    return parse_hcl(COMMON_TFVARS.read_text())


def environment_settings(env: str) -> dict[str, Any]:
    """infra/environments/<env>.tfvars as Terraform reads it."""
    return parse_hcl((ENVIRONMENTS_DIR / f"{env}.tfvars").read_text())


def cli_config(plugin_mirror: str | None, directory: Path = DATA) -> Path:
    """A Terraform CLI config: a shared plugin cache, and the provider mirror when one is set
    (offline machines; decision 10). Online users get the registry."""
    cache = directory / "terraform-plugin-cache"
    cache.mkdir(parents=True, exist_ok=True)
    text = f'plugin_cache_dir = "{cache}"\n'
    if plugin_mirror:
        if not Path(plugin_mirror).is_dir():
            raise ValueError(f"the provider mirror {plugin_mirror} is not a directory (TF_PLUGIN_MIRROR)")
        text += f'provider_installation {{\n  filesystem_mirror {{\n    path = "{plugin_mirror}"\n  }}\n}}\n'
    # One file per kind, so a run with the mirror and one without never rewrite each other's.
    path = directory / ("terraform-mirror.rc" if plugin_mirror else "terraform.rc")
    path.write_text(text)
    return path


def parse_hcl(text: str) -> dict[str, Any]:
    """Terraform configuration as python-hcl2 reads it: strings without their quotes,
    heredocs as their text, comments left out (docs and the rate-limit check read it)."""
    options = hcl2.SerializationOptions(
        strip_string_quotes=True, with_comments=False, preserve_heredocs=False
    )
    return hcl2.loads(text, serialization_options=options)


def module_call(name: str, layer: Path) -> tuple[Path, dict[str, Any]] | None:
    """The arguments a layer passes to ``module "<name>"``, as written, and the file that
    holds the call; None when the layer has no such module."""
    for path in sorted(layer.glob("*.tf")):
        for block in parse_hcl(path.read_text()).get("module", []):
            if name in block:
                return path, block[name]
    return None


def roots() -> list[Path]:
    """Every Terraform root: the layers, then the modules."""
    return [INFRA / layer for layer in existing_layers()] + sorted(
        path.parent for path in INFRA.glob("modules/*/main.tf")
    )


def run_apart(
    *args: str,
    cwd: Path,
    data_dir: Path,
    plugin_mirror: str | None,
    config_dir: Path = DATA,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Terraform with a data directory of its own, so a developer's initialised layers and
    their backends are left alone (validation, scratch roots, tests); ``env`` over this
    process's environment (an AWS context)."""
    env = {
        **os.environ,
        **(env or {}),
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_DATA_DIR": str(data_dir),
        "TF_CLI_CONFIG_FILE": str(cli_config(plugin_mirror, config_dir)),
    }
    return subprocess.run(
        [require("terraform"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def failure(command: str, where: str, output: str) -> TerraformError:
    """Terraform's error, or one line when init could not reach the registry for a provider
    (a machine without it needs the filesystem mirror)."""
    if command == "init" and "could not connect to registry.terraform.io" in output:
        return TerraformError(
            f"terraform init in {where} could not reach registry.terraform.io for its providers: set "
            "TF_PLUGIN_MIRROR (or terraform.plugin_mirror) to a provider filesystem mirror, or allow "
            "the registry"
        )
    return TerraformError(f"terraform {command} failed in {where}:\n{output}")


def validate(root: Path, plugin_mirror: str | None, data_dir: Path | None = None) -> None:
    """``init -backend=false`` and ``validate`` apart from the root's own data directory."""
    data_dir = data_dir or DATA / "validate" / root.name
    for args in (["init", "-backend=false", "-input=false", "-no-color"], ["validate", "-no-color"]):
        result = run_apart(*args, cwd=root, data_dir=data_dir, plugin_mirror=plugin_mirror)
        if result.returncode != 0:
            where = root.relative_to(REPO) if root.is_relative_to(REPO) else root
            raise failure(args[0], str(where), result.stderr or result.stdout)


@dataclass
class PlanSummary:
    layer: str
    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    destroyed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    seconds: float = 0.0
    text: str = ""  # `terraform show` of the plan, when asked for (plan comments)

    COLUMNS = ("layer", "add", "change", "replace", "destroy", "seconds")

    def row(self) -> list[str]:
        counts = (self.add, self.change, self.replace, self.destroy)
        return [self.layer, *map(str, counts), f"{self.seconds:.1f}"]

    @property
    def warnings(self) -> list[str]:
        """One line per resource the plan destroys or replaces."""
        return [
            f"{self.layer}: {address} will be destroyed or replaced"
            for address in self.destroyed + self.replaced
        ]

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.replace)


def summarize_plan(layer: str, plan: dict[str, Any]) -> PlanSummary:
    """Counts from ``terraform show -json`` of a plan, the way Terraform's own summary counts."""
    summary = PlanSummary(layer)
    for change in plan.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions in (["no-op"], ["read"]):
            continue
        if "create" in actions and "delete" in actions:
            summary.replace += 1
            summary.replaced.append(change["address"])
        elif actions == ["create"]:
            summary.add += 1
            summary.added.append(change["address"])
        elif actions == ["update"]:
            summary.change += 1
            summary.changed.append(change["address"])
        elif actions == ["delete"]:
            summary.destroy += 1
            summary.destroyed.append(change["address"])
    return summary


class Layer:
    """One Terraform root in one environment, run with an explicit environment (``environ``:
    the AWS context's variables and the CLI config) and state bucket."""

    def __init__(self, name: str, env: str, environ: dict[str, str], bucket: str) -> None:
        if name not in LAYERS:
            raise ValueError(f"unknown layer {name!r}: choose one of {', '.join(LAYERS)}")
        self.path = INFRA / name
        # A data directory per state bucket: the backend an init configured there is this
        # environment's and account's, whatever else ran in the layer's directory meanwhile.
        self.data_dir = self.path / ".terraform" / bucket
        self.name, self.env, self.bucket = name, env, bucket
        self.environ = {**environ, "TF_DATA_DIR": str(self.data_dir)}
        self.backend = backend_settings(env)
        self._tf = Terraform(working_dir=str(self.path), terraform_bin_path=require("terraform"))

    @property
    def var_args(self) -> dict[str, Any]:
        return {
            "var_file": [str(COMMON_TFVARS), str(ENVIRONMENTS_DIR / f"{self.env}.tfvars")],
            "var": [f"state_bucket={self.bucket}"],
        }

    @property
    def plan_file(self) -> Path:
        return self.data_dir / "plan.tfplan"

    def _run(self, command: str, *args: str, ok_codes: tuple[int, ...] = (0,), **options: Any) -> str:
        # python-terraform spells the command; the process gets this layer's environment only.
        argv = self._tf.generate_cmd_string(command, *args, no_color=IsFlagged, **options)
        result = subprocess.run(
            argv,
            cwd=self.path,
            env={**os.environ, **self.environ},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in ok_codes:
            raise failure(command, f"{self.name} ({self.env})", result.stderr or result.stdout)
        return result.stdout

    def init(self) -> None:
        backend = {**self.backend, "bucket": self.bucket, "key": f"{self.name}/terraform.tfstate"}
        self._run(
            "init",
            input=False,
            reconfigure=IsFlagged,
            backend_config=[f"{key}={value}" for key, value in backend.items()],
        )

    def plan(self, *, destroy: bool = False, with_text: bool = False) -> PlanSummary:
        """Plan into a file; return its summary (exit code 2 of -detailed-exitcode is success),
        with the human-readable plan too when asked."""
        self._run(
            "plan",
            input=False,
            lock_timeout="120s",
            out=str(self.plan_file),
            detailed_exitcode=IsFlagged,
            destroy=IsFlagged if destroy else None,
            ok_codes=(0, 2),
            **self.var_args,
        )
        summary = summarize_plan(self.name, self.show_plan_json())
        if with_text:
            summary.text = self.show_plan_text()
        return summary

    def show_plan_json(self) -> dict[str, Any]:
        return json.loads(self._run("show", str(self.plan_file), json=IsFlagged))  # type: ignore[no-any-return]

    def show_plan_text(self) -> str:
        return self._run("show", str(self.plan_file))

    def apply(self) -> None:
        self._run("apply", input=False, auto_approve=IsFlagged, lock_timeout="120s", **self.var_args)

    def destroy(self) -> None:
        self._run("destroy", input=False, auto_approve=IsFlagged, lock_timeout="120s", **self.var_args)

    def outputs(self) -> dict[str, Any]:
        raw = json.loads(self._run("output", json=IsFlagged))
        return {name: value["value"] for name, value in raw.items()}

    def resource_count(self) -> int:
        out = self._run("state list")
        return len([line for line in out.splitlines() if line and not line.startswith("data.")])

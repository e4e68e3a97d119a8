"""The observability configuration as 04-observability renders it, checked by the real tools.

infra/04-observability/config is a Terraform module that renders prometheus.yml, the
rule files and alertmanager.yml. Here Terraform applies it alone in a scratch root, with
no providers and local state, and writes its outputs to files. promtool and amtool
then check those files, and `promtool test rules` runs the unit tests beside them.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops import OpsError
from ops.terraform.layers import INFRA, common_settings, run_apart
from ops.tools import require

CONFIG_MODULE = INFRA / "04-observability" / "config"
RULE_TESTS = CONFIG_MODULE / "tests"
DEFAULTS: dict[str, Any] = {
    "environment": "local",
    "region": "us-east-1",
    "alertmanager_host": "alertmanager.observability.local",
    # As 04-observability derives it from common.tfvars.
    "runbook_url": f"https://github.com/{common_settings()['github_repository']}/blob/main/docs/runbooks",
}


class ConfigCheckFailed(OpsError):
    """promtool or amtool rejected the rendered configuration."""


@dataclass(frozen=True)
class Rendered:
    directory: Path
    prometheus: Path
    rules: list[Path]
    alertmanager: Path


def render(out: Path, **variables: Any) -> Rendered:
    """Apply the config module with ``variables`` (over DEFAULTS) and write its files to ``out``;
    rule files go to out/rules, which prometheus.yml names as its rules_dir."""
    root = out / ".render"
    root.mkdir(parents=True, exist_ok=True)
    values = {**DEFAULTS, "rules_dir": str(out / "rules"), "targets_dir": str(out / "targets"), **variables}
    module = "\n".join(f"  {name} = var.{name}" for name in values)
    declarations = "\n".join(f'variable "{name}" {{\n  type = any\n}}' for name in values)
    (root / "main.tf").write_text(
        f'{declarations}\n\nmodule "config" {{\n  source = "{CONFIG_MODULE}"\n{module}\n}}\n\n'
        'output "files" {\n  value = module.config\n}\n'
    )
    (root / "values.auto.tfvars.json").write_text(json.dumps(values))

    def terraform(command: str, *args: str) -> str:
        result = run_apart(command, "-no-color", *args, cwd=root, data_dir=root / ".terraform",
                           plugin_mirror=None, config_dir=root)  # fmt: skip
        if result.returncode != 0:
            raise ConfigCheckFailed(f"terraform {command} of the config module failed:\n{result.stderr}")
        return result.stdout

    terraform("init")
    terraform("apply", "-auto-approve")
    output = terraform("output", "-json", "files")
    files = json.loads(output)
    (out / "rules").mkdir(exist_ok=True)
    (out / "targets").mkdir(exist_ok=True)
    prometheus, alertmanager = out / "prometheus.yml", out / "alertmanager.yml"
    prometheus.write_text(files["prometheus"])
    alertmanager.write_text(files["alertmanager"])
    rules = []
    for name, text in sorted(files["rules"].items()):
        rules.append(out / "rules" / name)
        rules[-1].write_text(text)
    return Rendered(out, prometheus, rules, alertmanager)


def _run(tool: str, *args: str, cwd: Path | None = None) -> str:
    result = subprocess.run([require(tool), *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ConfigCheckFailed(f"{tool} {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout + result.stderr


def check(rendered: Rendered) -> dict[str, str]:
    """promtool check config (with the rules), promtool test rules, amtool check-config."""
    for test in RULE_TESTS.glob("*.test.yml"):  # the unit tests name rule files relative to themselves
        (rendered.directory / test.name).write_text(test.read_text())
    tests = sorted(path.name for path in rendered.directory.glob("*.test.yml"))
    return {
        "promtool check config": _run("promtool", "check", "config", str(rendered.prometheus)),
        "promtool test rules": _run("promtool", "test", "rules", *tests, cwd=rendered.directory),
        "amtool check-config": _run("amtool", "check-config", str(rendered.alertmanager)),
    }

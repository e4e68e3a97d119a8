"""How the tasks reach an environment, and the one set of defaults for it. Light to import:
tasks.py hands the defaults to invoke when it loads, before any task runs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.dataplane import Fronts

if TYPE_CHECKING:
    from ops.aws import AwsContext

EMULATOR_PORT = 4566  # the embedded emulator's port (moto's server) unless configured


@dataclass(frozen=True)
class Settings:
    """How the tasks reach an environment. The defaults here are the only ones: invoke gets
    them as its configuration (`invoke_config`), which ~/.invoke.yaml or INVOKE_* variables
    override (INVOKE_TERRAFORM_EMULATOR_PORT, INVOKE_LOCAL_PUBLIC_PORT, ...), and a task's own
    flag overrides that; TF_PLUGIN_MIRROR overrides `terraform.plugin_mirror`."""

    env: str = "local"
    plugin_mirror: str | None = None  # a Terraform provider filesystem mirror, for offline machines
    emulator_port: int = EMULATOR_PORT
    # Run as this role (terraform.role_arn, INVOKE_TERRAFORM_ROLE_ARN), with a web identity
    # token from this file when one is given, as a GitHub job assumes its role.
    role_arn: str | None = None
    web_identity_token_file: str | None = None
    fronts: Fronts = field(default_factory=Fronts)  # loopback ports of the local ALBs

    @classmethod
    def invoke_config(cls) -> dict[str, dict[str, Any]]:
        """The defaults as invoke's configuration: its `terraform:` and `local:` sections."""
        default = cls()
        return {
            "terraform": {
                "plugin_mirror": default.plugin_mirror or "",
                "emulator_port": default.emulator_port,
                "role_arn": default.role_arn or "",
                "web_identity_token_file": default.web_identity_token_file or "",
            },
            "local": {"public_port": default.fronts.public, "internal_port": default.fronts.internal},
        }

    @classmethod
    def from_config(cls, env: str, config: dict[str, Any], local: dict[str, Any] | None = None) -> Settings:
        """From invoke's `terraform:` and `local:` sections (what they leave out keeps its
        default), with TF_PLUGIN_MIRROR first."""
        from ops.terraform.layers import ENVIRONMENTS

        if env not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {env!r}: choose one of {', '.join(ENVIRONMENTS)}")
        default, local = cls(), local or {}
        return cls(
            env,
            os.environ.get("TF_PLUGIN_MIRROR") or config.get("plugin_mirror") or None,
            int(config.get("emulator_port") or default.emulator_port),
            config.get("role_arn") or None,
            config.get("web_identity_token_file") or None,
            Fronts(
                int(local.get("public_port") or default.fronts.public),
                int(local.get("internal_port") or default.fronts.internal),
            ),
        )

    @property
    def region(self) -> str:
        from ops.terraform.layers import backend_settings

        return backend_settings(self.env)["region"]

    def aws(self) -> AwsContext:
        """The emulator locally; dev and prd: the account of your credentials; either under
        ``role_arn`` when one is set."""
        from ops import emulator
        from ops.aws import AwsContext

        if self.env == "local":
            base = AwsContext.from_environ(emulator.client_env(self.emulator_port, self.region))
        else:
            base = AwsContext.for_aws(self.region, self.env)
        if not self.role_arn:
            return base
        token = (
            Path(self.web_identity_token_file).read_text().strip() if self.web_identity_token_file else None
        )
        return base.assume(self.role_arn, web_identity_token=token)

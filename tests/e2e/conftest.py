"""The e2e lane's platform: the four layers applied to the session's emulator once."""

from __future__ import annotations

import os

import pytest

from ops.platform import Platform, apply_layers, bootstrap
from ops.settings import Settings
from ops.terraform.layers import existing_layers


@pytest.fixture(scope="session")
def applied_platform(emulator_port: int) -> Platform:
    """The four layers bootstrapped and applied with the emulator's own (administrator) keys,
    once per session: tests/e2e/test_least_privilege.py runs each role's workload on it, then
    tests/e2e/test_platform.py checks what ECS would run, deploys, and destroys it last."""
    settings = Settings(
        env="local", plugin_mirror=os.environ.get("TF_PLUGIN_MIRROR"), emulator_port=emulator_port
    )
    platform = Platform.connect(settings)
    bootstrap(platform, progress=lambda _: None)
    apply_layers(platform, existing_layers(), progress=lambda _: None)
    return platform

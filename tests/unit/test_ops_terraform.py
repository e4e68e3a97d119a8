"""The Terraform adapter and platform helpers that need no Terraform run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ops.aws import MissingCredentials
from ops.dataplane import Fronts
from ops.platform import LayerResult, Platform, useful_outputs
from ops.settings import Settings
from ops.terraform.layers import backend_settings, cli_config, state_bucket, summarize_plan


def change(address: str, *actions: str) -> dict[str, object]:
    return {"address": address, "change": {"actions": list(actions)}}


def test_plan_summary_counts_like_terraform_and_names_what_goes_away() -> None:
    plan = {
        "resource_changes": [
            change("aws_vpc.this", "no-op"),
            change("data.aws_region.current", "read"),
            change("aws_subnet.a", "create"),
            change("aws_subnet.b", "create"),
            change("aws_lb.public", "update"),
            change("aws_ecs_task_definition.this", "create", "delete"),
            change("aws_elasticache_replication_group.comments", "delete", "create"),
            change("aws_s3_bucket.logs", "delete"),
        ]
    }
    summary = summarize_plan("01-base", plan)
    assert (summary.add, summary.change, summary.replace, summary.destroy) == (2, 1, 2, 1)
    assert summary.destroyed == ["aws_s3_bucket.logs"]
    assert summary.replaced == ["aws_ecs_task_definition.this", "aws_elasticache_replication_group.comments"]
    assert summary.has_changes


def test_empty_plan_has_no_changes() -> None:
    assert not summarize_plan(
        "02-traefik", {"resource_changes": [change("aws_iam_role.task", "no-op")]}
    ).has_changes
    assert not summarize_plan("02-traefik", {}).has_changes


def test_backend_settings_read_the_environment_file() -> None:
    assert backend_settings("local") == {
        "bucket": "platform-tfstate-{account_id}-local",
        "region": "us-east-1",
        "encrypt": "true",
        "use_lockfile": "true",
    }
    with pytest.raises(ValueError, match="unknown environment 'staging'"):
        backend_settings("staging")


def test_state_buckets_are_named_after_the_account_and_environment() -> None:
    """Bucket names are global: a name without the account is probably someone else's."""
    assert state_bucket("dev", "210987654321") == "platform-tfstate-210987654321-dev"
    assert state_bucket("prd", "210987654321") != state_bucket("prd", "123456789012")


def test_useful_outputs_are_addresses_names_and_secrets_with_maps_flattened() -> None:
    result = LayerResult(
        "04-observability",
        47,
        12.0,
        {
            "urls": {"grafana": "https://grafana.internal.example.test/"},
            "service_names": {"prometheus": "prometheus"},
            # pragma: allowlist nextline secret (an ARN, not a secret)
            "grafana_admin_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
            "efs_file_system_id": "fs-123",
            "private_subnet_ids": ["subnet-a", "subnet-b"],
            "github_role_arns": {"plan": "arn:aws:iam::123456789012:role/dev-github-plan"},
        },
    )
    assert useful_outputs([result]) == [
        ("04-observability.urls.grafana", "https://grafana.internal.example.test/"),
        ("04-observability.service_names.prometheus", "prometheus"),
        (
            "04-observability.grafana_admin_secret_arn",
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
        ),
        ("04-observability.github_role_arns.plan", "arn:aws:iam::123456789012:role/dev-github-plan"),
    ]


def test_tables_print_values_as_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    from tasks import print_table

    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:local/grafana/admin-password-CivFcK"
    print_table("outputs", ["output", "value"], [["a[id]", arn]])
    printed = capsys.readouterr().out
    assert arn in printed  # no ":secret:" emoji
    assert "a[id]" in printed  # no rich markup


def test_cli_config_uses_the_mirror_only_when_one_is_set(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    assert "filesystem_mirror" not in cli_config(None, tmp_path).read_text()
    assert f'path = "{mirror}"' in cli_config(str(mirror), tmp_path).read_text()
    assert (tmp_path / "terraform-plugin-cache").is_dir()
    with pytest.raises(ValueError, match="TF_PLUGIN_MIRROR"):
        cli_config(str(tmp_path / "missing"), tmp_path)


def test_settings_take_the_mirror_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TF_PLUGIN_MIRROR", "/mirror/from/env")
    settings = Settings.from_config(
        "dev", {"plugin_mirror": "/mirror/from/invoke.yaml", "emulator_port": 4999}
    )
    assert (settings.env, settings.plugin_mirror, settings.emulator_port) == ("dev", "/mirror/from/env", 4999)
    with pytest.raises(ValueError, match="choose one of local, dev, prd"):
        Settings.from_config("qa", {})


def test_settings_left_out_keep_their_one_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_PLUGIN_MIRROR", raising=False)
    assert Settings.from_config("local", {}) == Settings()
    assert Settings.from_config("local", {"emulator_port": 4599}, {"public_port": 9080}) == Settings(
        emulator_port=4599, fronts=Fronts(public=9080)
    )
    # invoke is given these same defaults as its configuration (tasks.py), so both agree.
    config = Settings.invoke_config()
    assert Settings.from_config("local", config["terraform"], config["local"]) == Settings()


def test_aws_environment_without_credentials_says_what_to_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(MissingCredentials, match=r"^no AWS credentials for dev: set AWS_PROFILE"):
        Settings(env="dev").aws()


def test_local_environment_points_terraform_at_the_emulator_without_touching_this_process() -> None:
    settings = Settings(env="local", emulator_port=4777)
    before = dict(os.environ)
    environ = Platform(settings, settings.aws(), "bucket").terraform_environ()
    assert environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4777"
    assert environ["AWS_ACCESS_KEY_ID"] == "test"
    assert environ["TF_IN_AUTOMATION"] == "1"
    assert Path(environ["TF_CLI_CONFIG_FILE"]).exists()
    assert dict(os.environ) == before

"""invoke bootstrap on an empty account of the emulator: what the layers need before their first
apply, each made once, and a second environment in the same account reusing what one account
shares (the GitHub OIDC provider, ECS's service-linked role)."""

from __future__ import annotations

import json
import uuid

import pytest

from ops.aws import AwsContext
from ops.platform import Platform, StateBucketUnavailable, bootstrap, plan_layers
from ops.settings import Settings


@pytest.fixture
def empty_account(aws: AwsContext) -> AwsContext:
    """A fresh account of the emulator: moto gives an assumed role of another account's ARN
    that account's resources."""
    root = aws
    account = str(uuid.uuid4().int)[:12]
    answer = root.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/admin", RoleSessionName="tests"
    )
    return root.with_credentials(answer["Credentials"])


def quiet(_: str) -> None:
    pass


def test_plans_and_applies_say_what_to_run_before_the_bucket_exists(empty_account: AwsContext) -> None:
    dev = Platform.connect(Settings(env="dev"), aws=empty_account)
    with pytest.raises(
        StateBucketUnavailable, match=r"does not exist yet: run `invoke bootstrap --env dev` once$"
    ):
        plan_layers(dev, ["01-base"], progress=quiet)


def test_bootstrap_makes_each_thing_once_and_a_second_environment_reuses_the_accounts(
    empty_account: AwsContext,
) -> None:
    account = empty_account.account_id()
    dev = Platform.connect(Settings(env="dev"), aws=empty_account)
    prd = Platform.connect(Settings(env="prd"), aws=empty_account)

    first = {step.what: step for step in bootstrap(dev, progress=quiet)}
    assert set(first) == {"state bucket", "GitHub OIDC provider", "ECS service-linked role", "public zone"}
    assert all(step.created for step in first.values())
    assert first["state bucket"].name == f"platform-tfstate-{account}-dev"
    assert first["ECS service-linked role"].name.endswith("/AWSServiceRoleForECS")
    # dev takes an existing zone (create_public_zone = false): made here, to be delegated to.
    assert first["public zone"].name == "dev.platform.acme.io"
    assert first["public zone"].detail.startswith("delegate to: ")

    again = bootstrap(dev, progress=quiet)
    assert not any(step.created for step in again)

    second = {step.what: step for step in bootstrap(prd, progress=quiet)}
    assert second["state bucket"].created
    assert second["state bucket"].name == f"platform-tfstate-{account}-prd"
    assert not second["GitHub OIDC provider"].created  # no EntityAlreadyExists: one per account
    assert second["GitHub OIDC provider"].name == first["GitHub OIDC provider"].name
    assert not second["ECS service-linked role"].created
    assert second["public zone"].created
    assert second["public zone"].name == "platform.acme.io"
    iam = empty_account.client("iam")
    assert len(iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]) == 1

    s3 = empty_account.client("s3")
    bucket = first["state bucket"].name
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"]
    dev.require_state_bucket()  # nothing to say once it exists


def test_a_bucket_answering_403_is_one_line_not_a_traceback(aws: AwsContext) -> None:
    """Credentials that may not read the bucket (the emulator enforces IAM for them)."""
    root = aws
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": f"arn:aws:iam::{root.account_id()}:root"}}]}  # fmt: skip
    root.client("iam").create_role(RoleName="no-s3", AssumeRolePolicyDocument=json.dumps(trust))
    stranger = Platform.connect(
        Settings(env="dev"), aws=root.assume(f"arn:aws:iam::{root.account_id()}:role/no-s3")
    )
    bootstrap(Platform.connect(Settings(env="dev"), aws=root), progress=quiet)
    with pytest.raises(StateBucketUnavailable, match=r"answers 403: your credentials may not read it"):
        plan_layers(stranger, ["01-base"], progress=quiet)

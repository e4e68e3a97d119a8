"""Where AWS calls go: one context (region, endpoint, credentials) built from the settings and
passed to whatever calls AWS, boto3 clients and child processes alike. Nothing here reads or
writes the process environment for another call to pick up."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3

from ops import OpsError


class MissingCredentials(OpsError):
    """dev/prd need AWS credentials and none were found."""


class Unreachable(OpsError):
    """The endpoint does not answer: locally, the emulator is not running."""


@dataclass(frozen=True)
class AwsContext:
    """An AWS account to talk to: the emulator (an endpoint and its keys) or AWS itself
    (the default credential chain: AWS_PROFILE, SSO, the OIDC session of a workflow...)."""

    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    @classmethod
    def from_environ(cls, environ: dict[str, str], region: str | None = None) -> AwsContext:
        """The context the variables of ``environ`` describe (AWS_ENDPOINT_URL, keys, region)."""
        return cls(
            region=region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            endpoint_url=environ.get("AWS_ENDPOINT_URL"),
            access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
            secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
            session_token=environ.get("AWS_SESSION_TOKEN"),
        )

    @classmethod
    def for_aws(cls, region: str, env: str) -> AwsContext:
        """AWS itself with the default credential chain; one line when it finds nothing."""
        if boto3.Session().get_credentials() is None:
            raise MissingCredentials(
                f"no AWS credentials for {env}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (in GitHub Actions, aws-actions/configure-aws-credentials "
                "with role-to-assume)"
            )
        return cls(region)

    def assume(
        self, role_arn: str, *, web_identity_token: str | None = None, session: str = "invoke"
    ) -> AwsContext:
        """The same account under a role: with a web identity token (a GitHub job's OIDC token)
        as aws-actions/configure-aws-credentials does, or with this context's credentials."""
        sts = self.client("sts")
        if web_identity_token is not None:
            answer = sts.assume_role_with_web_identity(
                RoleArn=role_arn, RoleSessionName=session, WebIdentityToken=web_identity_token
            )
        else:
            answer = sts.assume_role(RoleArn=role_arn, RoleSessionName=session)
        return self.with_credentials(answer["Credentials"])

    def with_credentials(self, credentials: dict[str, Any]) -> AwsContext:
        """The same account and endpoint under other credentials (an STS answer's Credentials)."""
        return AwsContext(
            self.region,
            self.endpoint_url,
            credentials["AccessKeyId"],
            credentials["SecretAccessKey"],
            credentials.get("SessionToken"),
        )

    @cached_property
    def session(self) -> boto3.Session:
        return boto3.Session(
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
            region_name=self.region,
        )

    def client(self, service: str, **options: Any) -> Any:
        return self.session.client(service, endpoint_url=self.endpoint_url, **options)

    def environ(self) -> dict[str, str]:
        """Variables that point a child process (Terraform, a task's process) at this context.
        Without explicit keys the child finds credentials where this process did."""
        values = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }
        return {name: value for name, value in values.items() if value}

    def account_id(self) -> str:
        """The account of these credentials: the first call most tasks make, so a stopped
        emulator is said here, in one line."""
        from botocore.exceptions import EndpointConnectionError

        try:
            return str(self.client("sts").get_caller_identity()["Account"])
        except EndpointConnectionError:
            where = self.endpoint_url or f"AWS in {self.region}"
            hint = ": start the local platform with `invoke up`" if self.endpoint_url else ""
            raise Unreachable(f"{where} does not answer{hint}") from None

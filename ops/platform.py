"""Bring the platform up, plan, apply and destroy its layers, with progress and a summary.

An environment is reached through a ``Platform``: the settings, the AWS context (the
emulator, or the account of your credentials) and the state bucket named after that
account. ``bootstrap`` makes what the layers need before their first apply and what one
account shares between environments.
"""

from __future__ import annotations

import functools
import json
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ops import OpsError, emulator
from ops.aws import AwsContext
from ops.dataplane import control
from ops.dataplane.routes import routes
from ops.observability import receivers
from ops.settings import Settings
from ops.terraform.layers import (
    Layer,
    PlanSummary,
    cli_config,
    common_settings,
    environment_settings,
    existing_layers,
    state_bucket,
)

Progress = Callable[[str], None]
GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"


class StateBucketUnavailable(OpsError):
    """The environment's state bucket is missing or not this account's."""


@dataclass(frozen=True)
class Platform:
    """An environment reached with one AWS context (by default the settings' own)."""

    settings: Settings
    aws: AwsContext
    bucket: str

    @classmethod
    def connect(cls, settings: Settings, aws: AwsContext | None = None) -> Platform:
        aws = aws or settings.aws()
        return cls(settings, aws, state_bucket(settings.env, aws.account_id()))

    @property
    def env(self) -> str:
        return self.settings.env

    def terraform_environ(self) -> dict[str, str]:
        return {
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "TF_CLI_CONFIG_FILE": str(cli_config(self.settings.plugin_mirror)),
            **self.aws.environ(),
        }

    def layer(self, name: str) -> Layer:
        return Layer(name, self.env, self.terraform_environ(), self.bucket)

    def require_state_bucket(self) -> None:
        """One line that says what to run when the bucket is missing or not readable."""
        try:
            self.aws.client("s3").head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code in ("404", "NoSuchBucket"):
                raise StateBucketUnavailable(
                    f"the state bucket {self.bucket} of {self.env} does not exist yet: "
                    f"run `invoke bootstrap --env {self.env}` once"
                ) from None
            if code in ("403", "AccessDenied"):
                raise StateBucketUnavailable(
                    f"the state bucket {self.bucket} answers 403: your credentials may not read it "
                    "(s3:ListBucket), or they are another account's than the one in its name"
                ) from None
            raise


@dataclass(frozen=True)
class BootstrapStep:
    what: str
    name: str
    created: bool
    detail: str = ""


def _state_bucket(platform: Platform) -> BootstrapStep:
    """The environment's state bucket: versioned, encrypted, private."""
    s3 = platform.aws.client("s3")
    bucket = platform.bucket
    try:
        platform.require_state_bucket()
        return BootstrapStep("state bucket", bucket, created=False)
    except StateBucketUnavailable:
        pass
    region = platform.aws.region
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    try:
        s3.create_bucket(Bucket=bucket, **extra)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "BucketAlreadyExists":
            raise StateBucketUnavailable(f"the bucket name {bucket} is another account's") from None
        raise
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    return BootstrapStep("state bucket", bucket, created=True)


def _github_oidc_provider(platform: Platform) -> BootstrapStep | None:
    """GitHub's OIDC provider exists once per account, whatever the number of environments in it
    (a second CreateOpenIDConnectProvider fails with EntityAlreadyExists). IAM trusts GitHub's
    certificate authority itself, so no thumbprint is pinned."""
    if not common_settings().get("github_repository"):
        return None
    iam = platform.aws.client("iam")
    host = GITHUB_OIDC_URL.removeprefix("https://")
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        if provider["Arn"].endswith(f"oidc-provider/{host}"):
            return BootstrapStep("GitHub OIDC provider", provider["Arn"], created=False)
    arn = iam.create_open_id_connect_provider(
        Url=GITHUB_OIDC_URL, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[]
    )["OpenIDConnectProviderArn"]
    return BootstrapStep("GitHub OIDC provider", arn, created=True)


def _ecs_service_linked_role(platform: Platform) -> BootstrapStep:
    """ECS's service-linked role: a new account has none until the console makes it, and the
    first CreateService of an awsvpc service fails without it
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html)."""
    iam = platform.aws.client("iam")
    name = "AWSServiceRoleForECS"
    try:
        return BootstrapStep("ECS service-linked role", iam.get_role(RoleName=name)["Role"]["Arn"], False)
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
        return BootstrapStep("ECS service-linked role", role["Arn"], created=True)


def _public_zone(platform: Platform) -> BootstrapStep | None:
    """The public zone of the domain, where 01-base takes an existing one (docs/adr/0009); its
    name servers are what the parent zone or the registrar must delegate to."""
    tfvars = environment_settings(platform.env)
    if tfvars.get("create_public_zone"):
        return None
    domain = str(tfvars["domain_name"]).rstrip(".")
    route53 = platform.aws.client("route53")
    zones = route53.list_hosted_zones_by_name(DNSName=domain)["HostedZones"]
    zone = next((z for z in zones if z["Name"] == f"{domain}." and not z["Config"]["PrivateZone"]), None)
    created = zone is None
    if zone is None:
        zone = route53.create_hosted_zone(
            Name=domain,
            CallerReference=f"platform-bootstrap-{uuid.uuid4()}",
            HostedZoneConfig={
                "Comment": f"Public names of the {platform.env} platform",
                "PrivateZone": False,
            },
        )["HostedZone"]
    servers = route53.get_hosted_zone(Id=zone["Id"])["DelegationSet"]["NameServers"]
    return BootstrapStep("public zone", domain, created, "delegate to: " + " ".join(servers))


# The receivers' secrets 04-observability reads (observability.receivers in <env>.tfvars), and
# what they hold on the local platform: the address of the local receivers (ops/observability/receivers.py).
RECEIVER_SECRETS = {
    "slack_webhook_secret": f"{receivers.URL}/slack",
    "pagerduty_routing_key_secret": "local-routing-key",  # pragma: allowlist secret (a stand-in)
}


def _receiver_secret(platform: Platform, setting: str) -> BootstrapStep | None:
    """A receiver secret the environment names must exist before 04-observability reads it.
    Locally it is made, pointing at the local receivers; elsewhere its value is yours (a Slack
    webhook, a PagerDuty key), so a missing one is one line saying how to make it."""
    secret = environment_settings(platform.env).get("observability", {}).get("receivers", {}).get(setting)
    if not secret:
        return None
    manager = platform.aws.client("secretsmanager")
    try:
        return BootstrapStep(
            "receiver secret", manager.describe_secret(SecretId=secret)["ARN"], created=False
        )
    except manager.exceptions.ResourceNotFoundException:
        if platform.env != "local":
            raise OpsError(
                f"observability.receivers.{setting} of {platform.env} names {secret}, which does not exist: "
                f"aws secretsmanager create-secret --name {secret} --secret-string VALUE"
            ) from None
    made = manager.create_secret(
        Name=secret,
        SecretString=RECEIVER_SECRETS[setting],
        Description="The local receivers, where the local Alertmanager notifies",
    )
    return BootstrapStep("receiver secret", made["ARN"], created=True)


def bootstrap(platform: Platform, progress: Progress = print) -> list[BootstrapStep]:
    """What the layers need before their first apply, each made once and left alone after."""
    steps = []
    order: list[Callable[[Platform], BootstrapStep | None]] = [
        _state_bucket, _github_oidc_provider, _ecs_service_linked_role, _public_zone,
        *[functools.partial(_receiver_secret, setting=setting) for setting in RECEIVER_SECRETS],
    ]  # fmt: skip
    for step in order:
        done = step(platform)
        if done is not None:
            progress(f"[bootstrap] {done.what} {done.name}: {'created' if done.created else 'exists'}")
            steps.append(done)
    return steps


@dataclass
class LayerResult:
    layer: str
    resources: int
    seconds: float
    outputs: dict[str, Any]

    COLUMNS = ("layer", "resources", "seconds")

    def row(self) -> list[str]:
        return [self.layer, str(self.resources), f"{self.seconds:.1f}"]


# Outputs a person uses next: where things are reached, what they are called, where secrets
# live, which roles CI assumes.
USEFUL_OUTPUT = re.compile(
    r"url|host|domain_name|endpoint|repository|secret|service_name|cluster_name|role_arn"
)


def useful_outputs(results: Iterable[LayerResult]) -> list[tuple[str, str]]:
    """The useful outputs of every layer (see USEFUL_OUTPUT), nested maps flattened."""

    def walk(label: str, value: Any) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                yield from walk(f"{label}.{key}", item)
        elif isinstance(value, str) and USEFUL_OUTPUT.search(label):
            yield label, value

    return [row for result in results for name, value in result.outputs.items()
            for row in walk(f"{result.layer}.{name}", value)]  # fmt: skip


@dataclass(frozen=True)
class LocalAccess:
    """How a person reaches the local platform after `invoke up`."""

    routes: list[tuple[str, str, bool]]  # router, URL, whether a task behind it runs here
    try_url: str  # a listing through api-comments' route, when it has one
    username: str  # Traefik's basic auth in front of the internal routes
    password: str
    receivers: str  # where alerts (Slack, PagerDuty, heartbeat) are recorded


def local_access(settings: Settings) -> LocalAccess:
    """The routes the data plane serves, the internal routes' credentials (the emulator's own,
    made for this platform: shown, as nothing else here could read them) and the receivers."""
    state, aws = control.status(), settings.aws()
    running = {task["group"].removeprefix("service:") for task in state.get("tasks", [])}
    served = [(r.router, r.url, r.service in running) for r in routes(aws, state["cluster"], settings.fronts)]
    secret = aws.client("secretsmanager").get_secret_value(SecretId=f"{settings.env}/traefik/dashboard")
    user = json.loads(secret["SecretString"])
    try_url = next((f"{url}api/comment/list/1" for router, url, _ in served if router == "api-comments"), "")
    return LocalAccess(served, try_url, user["username"], user["password"], state["receivers"])


def _timed(progress: Progress, label: str, step: Callable[[], Any]) -> Any:
    started = time.monotonic()
    progress(f"[{label}] ...")
    result = step()
    progress(f"[{label}] done in {time.monotonic() - started:.1f} s")
    return result


def apply_layers(platform: Platform, layers: Iterable[str], progress: Progress = print) -> list[LayerResult]:
    """Apply the layers in order. On AWS, right after 01-base (which makes the registries),
    the images never pushed yet are built and pushed, so the next layers can run them."""
    from ops.delivery.build import push_first_images

    platform.require_state_bucket()
    results = []
    for name in layers:
        started = time.monotonic()
        layer = platform.layer(name)
        _timed(progress, f"{name} init", layer.init)
        _timed(progress, f"{name} apply", layer.apply)
        if name == "01-base" and platform.env != "local":  # local tasks run this checkout (decision 11)
            pushed = _timed(progress, "first images", lambda: push_first_images(platform))
            if pushed:
                progress(f"[first images] pushed {', '.join(pushed)} (tag bootstrap)")
        results.append(LayerResult(name, layer.resource_count(), time.monotonic() - started, layer.outputs()))
    return results


def destroy_layers(platform: Platform, layers: Iterable[str], progress: Progress = print) -> None:
    platform.require_state_bucket()
    for name in reversed(list(layers)):
        layer = platform.layer(name)
        _timed(progress, f"{name} init", layer.init)
        _timed(progress, f"{name} destroy", layer.destroy)


def plan_layers(
    platform: Platform,
    layers: Iterable[str],
    *,
    parallel: bool = True,
    with_text: bool = False,
    progress: Progress = print,
) -> list[PlanSummary]:
    """Plan each layer (in parallel threads by default: each plan waits on its own terraform);
    ``with_text`` keeps the human-readable plan, for the pull-request comment."""
    platform.require_state_bucket()

    def plan(name: str) -> PlanSummary:
        started = time.monotonic()
        layer = platform.layer(name)
        layer.init()
        summary = layer.plan(with_text=with_text)
        summary.seconds = time.monotonic() - started
        progress(f"[{name}] planned in {summary.seconds:.1f} s")
        return summary

    names = list(layers)
    if not parallel or len(names) == 1:
        return [plan(name) for name in names]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(plan, names))


def up(settings: Settings, progress: Progress = print) -> list[LayerResult]:
    """Start the emulator if needed (local only), bootstrap, and apply every layer in order;
    locally, then run the tasks here (the data plane) and wait until they are healthy."""
    local = settings.env == "local"
    if local and emulator.start_background(settings.emulator_port):
        progress(f"started the emulator on {emulator.endpoint(settings.emulator_port)}")
    platform = Platform.connect(settings)
    bootstrap(platform, progress)
    results = apply_layers(platform, existing_layers(), progress)
    if local:
        started = time.monotonic()
        cluster = next(r.outputs["cluster_arn"] for r in results if r.layer == "01-base")
        if control.start_background(settings.emulator_port, cluster, settings.fronts):
            progress("[data plane] started: the cluster's tasks run here")
        control.wait_until_served(platform.aws, progress, fronts=settings.fronts)
        progress(f"[data plane] every task healthy in {time.monotonic() - started:.1f} s")
    return results


def down(settings: Settings) -> list[str]:
    """Stop the data plane, then the emulator (its state goes with it); what was stopped."""
    stopped = ["data plane"] if control.stop_background() else []
    return stopped + (["emulator"] if emulator.stop_background(settings.emulator_port) else [])


def outputs(platform: Platform, layer: str) -> dict[str, Any]:
    target = platform.layer(layer)
    target.init()
    return target.outputs()

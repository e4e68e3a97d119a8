"""Bring the platform up, plan, apply and destroy its layers, with progress and a summary."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from . import OpsError, emulator
from .terraform import ENVIRONMENTS, Layer, PlanSummary, backend_settings, cli_config, existing_layers

Progress = Callable[[str], None]


class MissingCredentials(OpsError):
    """dev/prd need AWS credentials and none were found."""


@dataclass(frozen=True)
class Settings:
    env: str = "local"
    plugin_mirror: str | None = None
    emulator_port: int = emulator.DEFAULT_PORT

    @classmethod
    def from_config(cls, env: str, config: dict[str, Any]) -> Settings:
        """invoke.yaml's `terraform:` section, overridden by TF_PLUGIN_MIRROR."""
        if env not in ENVIRONMENTS:
            raise ValueError(f"unknown environment {env!r}: choose one of {', '.join(ENVIRONMENTS)}")
        mirror = os.environ.get("TF_PLUGIN_MIRROR") or config.get("plugin_mirror") or None
        return cls(env, mirror, int(config.get("emulator_port", emulator.DEFAULT_PORT)))


def terraform_environ(settings: Settings) -> dict[str, str]:
    region = backend_settings(settings.env)["region"]
    environ = {
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "TF_CLI_CONFIG_FILE": str(cli_config(settings.plugin_mirror)),
    }
    if settings.env == "local":
        return environ | emulator.client_env(settings.emulator_port, region)
    if boto3.Session().get_credentials() is None:
        raise MissingCredentials(
            f"no AWS credentials for {settings.env}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY (in GitHub Actions, aws-actions/configure-aws-credentials "
            "with role-to-assume)"
        )
    return environ | {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def aws_client(service: str, environ: Mapping[str, str], **options: Any) -> Any:
    """A boto3 client for the environment ``terraform_environ`` (or ``emulator.client_env``)
    describes: the emulator's endpoint and keys locally, the default credential chain on AWS."""
    return boto3.client(
        service,
        region_name=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION"),
        endpoint_url=environ.get("AWS_ENDPOINT_URL"),
        aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
        **options,
    )


def ensure_state_bucket(settings: Settings, environ: dict[str, str]) -> bool:
    """Create the environment's state bucket (versioned, encrypted, private); True if created."""
    backend = backend_settings(settings.env)
    s3 = aws_client("s3", environ)
    bucket = backend["bucket"]
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
            raise
    extra = {} if backend["region"] == "us-east-1" else {
        "CreateBucketConfiguration": {"LocationConstraint": backend["region"]}
    }  # fmt: skip
    s3.create_bucket(Bucket=bucket, **extra)
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
    return True


@dataclass
class LayerResult:
    layer: str
    resources: int
    seconds: float
    outputs: dict[str, Any]


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


def _timed(progress: Progress, label: str, step: Callable[[], Any]) -> Any:
    started = time.monotonic()
    progress(f"[{label}] ...")
    result = step()
    progress(f"[{label}] done in {time.monotonic() - started:.1f} s")
    return result


def apply_layers(settings: Settings, layers: Iterable[str], progress: Progress = print) -> list[LayerResult]:
    environ = terraform_environ(settings)
    if ensure_state_bucket(settings, environ):
        progress(f"created state bucket {backend_settings(settings.env)['bucket']}")
    results = []
    for name in layers:
        started = time.monotonic()
        layer = Layer(name, settings.env, environ)
        _timed(progress, f"{name} init", layer.init)
        _timed(progress, f"{name} apply", layer.apply)
        results.append(LayerResult(name, layer.resource_count(), time.monotonic() - started, layer.outputs()))
    return results


def destroy_layers(settings: Settings, layers: Iterable[str], progress: Progress = print) -> None:
    environ = terraform_environ(settings)
    for name in reversed(list(layers)):
        layer = Layer(name, settings.env, environ)
        _timed(progress, f"{name} init", layer.init)
        _timed(progress, f"{name} destroy", layer.destroy)


def plan_layers(
    settings: Settings,
    layers: Iterable[str],
    *,
    parallel: bool = True,
    with_text: bool = False,
    progress: Progress = print,
) -> list[PlanSummary]:
    """Plan each layer (in parallel threads by default: each plan waits on its own terraform);
    ``with_text`` keeps the human-readable plan, for the pull-request comment."""
    environ = terraform_environ(settings)
    if settings.env == "local":  # a fresh emulator can be planned against; AWS state buckets exist
        ensure_state_bucket(settings, environ)

    def plan(name: str) -> PlanSummary:
        started = time.monotonic()
        layer = Layer(name, settings.env, environ)
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
    """Start the emulator if needed (local only) and apply every layer in order."""
    if settings.env == "local" and emulator.start_background(settings.emulator_port):
        progress(f"started the emulator on {emulator.endpoint(settings.emulator_port)}")
    return apply_layers(settings, existing_layers(), progress)


def outputs(settings: Settings, layer: str) -> dict[str, Any]:
    target = Layer(layer, settings.env, terraform_environ(settings))
    target.init()
    return target.outputs()

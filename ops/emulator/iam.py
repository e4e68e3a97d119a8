"""IAM in the emulator: every call signed by a principal under test is authorised as AWS would.

The emulator's own keys (`test`) stand for the account's administrator and are never
checked: `invoke up` applies the platform with them. Any other credentials (a role assumed
with STS, the credentials a task receives) are authenticated by moto and authorised here
with ops.emulator.policy: the caller's identity policies, the resource's own policy where AWS has
one (an S3 bucket's, a role's trust), the resource ARN and the condition keys the request
carries. Where the emulator would be silent, AWS's documents decide:

- A create call that carries tags is also authorised as `TagResource` on the new resource,
  with `<service>:CreateAction` naming the create call
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
- Registering a task definition passes its task and execution roles: `iam:PassRole` on each,
  with `iam:PassedToService = ecs-tasks.amazonaws.com`
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html).
- `sts:AssumeRole` needs the role's trust policy to name the caller, and within one account
  either that or the caller's own policy to allow it; `AssumeRoleWithWebIdentity` (unsigned)
  checks the trust policy against the token's claims (`<issuer>:sub`, `<issuer>:aud`), the
  OIDC provider of the issuer having to exist
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html). The
  token's signature is not verified: the emulator cannot fetch GitHub's keys.
- `sts:GetCallerIdentity` needs no permission.
- Terraform opens ephemeral resources during plan as well as apply, so a plan calls
  `secretsmanager:GetRandomPassword`; nothing special is needed here, the call is
  authorised like any other (https://developer.hashicorp.com/terraform/language/resources/ephemeral).
- The emulator is plain HTTP on loopback and stands for AWS's HTTPS endpoints:
  `aws:SecureTransport` is true.

Every decision is kept (`/_platform/iam/calls`), so a test can say which role called what
and `invoke iam-report` can tell granted permissions from used ones.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ops.emulator.policy import Effect, Request, evaluate

ROOT_ACCESS_KEY = "test"  # the emulator's own keys (ops.emulator.DUMMY_CREDENTIALS)
TASKS_SERVICE = "ecs-tasks.amazonaws.com"
# IAM's prefix where it differs from the service's signing name.
ACTION_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
# The IAM action of an S3 call where moto names it after the API operation, or after nothing
# (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
S3_ACTIONS = {"HeadBucket": "ListBucket", "GetPublicAccessBlock": "GetBucketPublicAccessBlock"}
S3_BUCKET_READS = {
    "encryption": "GetEncryptionConfiguration",
    "replication": "GetReplicationConfiguration",
    "ownershipControls": "GetBucketOwnershipControls",
    "object-lock": "GetBucketObjectLockConfiguration",
    "requestPayment": "GetBucketRequestPayment",
    "intelligent-tiering": "GetIntelligentTieringConfiguration",
}


@dataclass(frozen=True)
class Call:
    """One authorisation the emulator made for a principal under test."""

    role: str
    principal: str
    action: str
    resource: str
    allowed: bool
    reason: str

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "DENIED"
        return f"{verdict}: {self.role} {self.action} on {self.resource} ({self.reason})"


class Ledger:
    """The decisions, in order, safe across the server's threads."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def add(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


LEDGER = Ledger()


@dataclass(frozen=True)
class Check:
    action: str
    resource: str
    context: dict[str, list[str]]


class Scope:
    """What one request names: its parameters, account and region, and ARN builders."""

    def __init__(self, param: Callable[[str], Any], account: str, region: str) -> None:
        self.param, self.account, self.region = param, account, region

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def cluster(self) -> str:
        name = self.param("cluster") or "default"
        return name if name.startswith("arn:") else self.arn("ecs", f"cluster/{name}")

    def cluster_context(self) -> dict[str, list[str]]:
        return {"ecs:cluster": [self.cluster()]}


def _ecs(operation: str, scope: Scope) -> list[Check]:
    cluster = scope.cluster()
    cluster_name = cluster.rsplit("/", 1)[-1]
    context = scope.cluster_context()

    def under_cluster(kind: str, names: list[str]) -> list[Check]:
        arns = [n if n.startswith("arn:") else scope.arn("ecs", f"{kind}/{cluster_name}/{n}") for n in names]
        return [Check(f"ecs:{operation}", arn, context) for arn in arns]

    if operation == "DescribeTasks":
        return under_cluster("task", scope.param("tasks") or [])
    if operation in ("DescribeServices",):
        return under_cluster("service", scope.param("services") or [])
    if operation in ("UpdateService", "DeleteService"):
        return under_cluster("service", [scope.param("service")])
    if operation == "DescribeContainerInstances":
        return under_cluster("container-instance", scope.param("containerInstances") or [])
    if operation == "DescribeClusters":
        names = scope.param("clusters") or ["default"]
        return [Check("ecs:DescribeClusters", _arn_of(n, "ecs", "cluster/", scope), {}) for n in names]
    if operation in ("ListTasks", "ListServices", "ListContainerInstances"):
        return [Check(f"ecs:{operation}", "*", context)]
    return [Check(f"ecs:{operation}", "*", {})]


def _ecs_side_effects(operation: str, scope: Scope, next_revision: Callable[[str], int]) -> list[Check]:
    """What ECS authorises besides the call itself: tags on create, roles passed."""
    checks = []
    if operation == "RegisterTaskDefinition":
        family = scope.param("family")
        if scope.param("tags"):
            revision = scope.arn("ecs", f"task-definition/{family}:{next_revision(family)}")
            checks.append(Check("ecs:TagResource", revision, {"ecs:CreateAction": [operation]}))
        for name in ("taskRoleArn", "executionRoleArn"):
            if role := scope.param(name):
                checks.append(Check("iam:PassRole", role, {"iam:PassedToService": [TASKS_SERVICE]}))
    elif operation in (
        "CreateService",
        "RunTask",
        "StartTask",
        "CreateCluster",
        "CreateTaskSet",
    ) and scope.param("tags"):
        checks.append(Check("ecs:TagResource", "*", {"ecs:CreateAction": [operation]}))
    return checks


def _arn_of(value: str, service: str, kind: str, scope: Scope) -> str:
    return value if value.startswith("arn:") else scope.arn(service, f"{kind}{value.lstrip('/')}")


def _named(service: str, kind: str, *names: str) -> Callable[[str, Scope], list[Check]]:
    """Operations whose resource is named by one of the parameters ``names`` (a name or ARN,
    or a list of them)."""

    def checks(operation: str, scope: Scope) -> list[Check]:
        values: list[str] = []
        for name in names:
            value = scope.param(name)
            values += value if isinstance(value, list) else [value] if value else []
        if not values:
            return [Check(f"{service}:{operation}", "*", {})]
        return [Check(f"{service}:{operation}", _arn_of(v, service, kind, scope), {}) for v in values]

    return checks


def _logs(operation: str, scope: Scope) -> list[Check]:
    groups = scope.param("logGroupNames") or (
        [scope.param("logGroupName")] if scope.param("logGroupName") else []
    )
    groups += scope.param("logGroupIdentifiers") or []
    if not groups:
        return [Check(f"logs:{operation}", "*", {})]
    return [Check(f"logs:{operation}", g if g.startswith("arn:") else scope.arn("logs", f"log-group:{g}"), {})
            for g in groups]  # fmt: skip


RESOURCES: dict[str, Callable[[str, Scope], list[Check]]] = {
    "ecs": _ecs,
    "ecr": _named("ecr", "repository/", "repositoryName", "repositoryNames"),
    "ssm": _named("ssm", "parameter/", "Name", "Names", "Path"),
    "logs": _logs,
}
# Operations that name no resource (the Service Authorization Reference lists "*").
UNSCOPED = {
    "ecr:GetAuthorizationToken",
    "ecr:DescribeRepositories",  # without names it lists every repository
    "ssm:DescribeParameters",
    "secretsmanager:GetRandomPassword",
    "secretsmanager:ListSecrets",
}


def checks_for(
    prefix: str, operation: str, scope: Scope, secret: Callable[[str], tuple[str, dict[str, list[str]]]]
) -> list[Check]:
    action = f"{prefix}:{operation}"
    if action in UNSCOPED and not (prefix == "ecr" and scope.param("repositoryNames")):
        return [Check(action, "*", {})]
    if prefix == "secretsmanager" and (secret_id := scope.param("SecretId")):
        return [Check(action, *secret(secret_id))]
    if prefix == "application-autoscaling" and (arn := scope.param("ResourceARN")):
        return [Check(action, arn, {})]
    if prefix in RESOURCES:
        return RESOURCES[prefix](operation, scope)
    return [Check(action, "*", {})]


def identity_policies(iam: Any, role_name: str) -> list[dict[str, Any]]:
    """The role's inline policies and the default versions of its managed ones (moto's backend)."""
    policies = []
    for name in iam.list_role_policies(role_name):
        _, document = iam.get_role_policy(role_name, name)
        policies.append(json.loads(document) if isinstance(document, str) else document)
    attached, _ = iam.list_attached_role_policies(role_name)
    for policy in attached:
        default = next(v for v in policy.versions if v.is_default)
        document = default.document
        policies.append(json.loads(document) if isinstance(document, str) else document)
    return policies


def base_context(principal: str, role_arn: str, region: str, account: str) -> dict[str, list[str]]:
    return {
        "aws:SecureTransport": ["true"],
        "aws:PrincipalArn": [role_arn],
        "aws:PrincipalAccount": [account],
        "aws:RequestedRegion": [region],
        "aws:userid": [principal],
    }


def denial(principal: str, action: str, resource: str, effect: Effect) -> str:
    """AWS's AccessDenied message: who, what, on which resource, and why."""
    why = (
        "with an explicit deny in a policy"
        if effect is Effect.EXPLICIT_DENY
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"


def container_credentials(sts: Any, iam: Any, role_name: str, region: str) -> dict[str, str]:
    """Credentials for a task role, as the ECS agent hands them to a container through
    AWS_CONTAINER_CREDENTIALS_FULL_URI: only for a role that trusts ecs-tasks.amazonaws.com
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html)."""
    role = iam.get_role(role_name)
    trust = role.assume_role_policy_document
    trust = json.loads(trust) if isinstance(trust, str) else trust
    request = Request("sts:AssumeRole", role.arn, {})
    verdict = evaluate([trust], request, {"Service": TASKS_SERVICE})
    if not verdict.allowed:
        raise PermissionError(f"{role_name} does not trust {TASKS_SERVICE}: no task can run as it")
    assumed = sts.assume_role(
        region_name=region,
        role_session_name=f"ecs-task-{role_name}"[:64],
        role_arn=role.arn,
        policy=None,
        duration=3600,
        external_id=None,
    )
    expires = datetime.now(UTC) + timedelta(hours=1)
    return {
        "AccessKeyId": assumed.access_key_id,
        "SecretAccessKey": assumed.secret_access_key,
        "Token": assumed.session_token,
        "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "RoleArn": role.arn,
    }


def calls_json() -> str:
    return json.dumps([asdict(call) for call in LEDGER.calls()])


def _deny(response: Any, message: str) -> None:
    from moto.core.exceptions import JsonRESTError, _RESTError
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    if isinstance(response, S3Response):  # S3's own error document
        raise S3ClientError("AccessDenied", message)

    error_class = JsonRESTError if "json" in response.headers.get("Content-Type", "") else _RESTError
    error = error_class("AccessDeniedException" if error_class is JsonRESTError else "AccessDenied", message)
    error.code = 403
    raise error


def install() -> None:
    """Authorise every call signed by a principal under test (patches moto's check)."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.ecs.models import ecs_backends
    from moto.iam.access_control import S3IAMRequest
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends
    from moto.s3.responses import ACTION_MAP
    from moto.secretsmanager.models import secretsmanager_backends

    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        header = self.headers.get("Authorization", "")
        if not header or f"Credential={ROOT_ACCESS_KEY}/" in header:
            return  # unsigned (web identity, checked by its own patch) or the emulator's own keys
        request = iam_request_cls(
            account_id=self.current_account, method=self.method,
            path=self.raw_path + (f"?{self.uri.split('?', 1)[1]}" if "?" in self.uri else ""),
            data=self.data, body=self.raw_body, headers=self.headers, action=self._get_action(),
        )  # fmt: skip
        # The signature is not checked: moto's check rebuilds some REST paths differently from
        # the SDKs (Route 53's answer SignatureDoesNotMatch), and the key alone names the caller.
        key = request._access_key
        account, region = self.current_account, request._region
        role_name = getattr(key, "_owner_role_name", None) or key.arn.rsplit("/", 1)[-1]
        iam = iam_backends[account]["aws"]
        role = None
        if getattr(key, "_owner_role_name", None):
            try:
                role = iam.get_role(role_name)
            except NotFoundException:
                # A role that does not exist can only have been assumed with the emulator's own
                # keys, into another account (moto's way to reach one): that account's administrator.
                return
        role_arn = role.arn if role else key.arn
        policies = identity_policies(iam, role_name) if role else []
        context = base_context(key.arn, role_arn, region, account)
        service = request._service
        operation = request._action.split(":", 1)[1]
        prefix = ACTION_PREFIX.get(service, service)
        if f"{prefix}:{operation}" == "sts:GetCallerIdentity":
            return
        if iam_request_cls is S3IAMRequest:
            checks = [Check(f"s3:{S3_ACTIONS.get(operation, operation)}", resource, {})]
            resource_policies = _bucket_policy(account, resource)
        else:
            scope = Scope(self._get_param, account, region)

            def secret(secret_id: str) -> tuple[str, dict[str, list[str]]]:
                """The secret's ARN and its tags as aws:ResourceTag/<key> condition keys."""
                try:
                    found = secretsmanager_backends[account][region].secrets[secret_id]
                except KeyError:
                    return _arn_of(secret_id, "secretsmanager", "secret:", scope), {}
                tags = {tag["Key"]: tag["Value"] for tag in found.tags or []}
                return str(found.arn), {
                    f"{prefix}/{key}": [value]
                    for key, value in tags.items()
                    for prefix in ("aws:ResourceTag", "secretsmanager:ResourceTag")
                }

            def next_revision(family: str) -> int:
                revisions = ecs_backends[account][region].task_definitions.get(family) or {}
                return max(revisions, default=0) + 1

            checks = checks_for(prefix, operation, scope, secret)
            if prefix == "ecs":
                checks += _ecs_side_effects(operation, scope, next_revision)
            resource_policies = []
            if f"{prefix}:{operation}" == "sts:AssumeRole":
                resource_policies = [_trust(iam, self._get_param("RoleArn"))]
                checks = [Check("sts:AssumeRole", self._get_param("RoleArn"), {})]
        for check in checks:
            verdict = evaluate(
                [*policies, *resource_policies],
                Request(check.action, check.resource, {**context, **check.context}),
                {"AWS": role_arn},
            )
            if check.action == "sts:AssumeRole":  # the trust policy must allow it, whatever else does
                trust = evaluate(
                    resource_policies, Request(check.action, check.resource, context), {"AWS": role_arn}
                )
                if not trust.allowed:
                    verdict = trust
            LEDGER.add(Call(role_name, key.arn, check.action, check.resource, verdict.allowed,
                            verdict.statement or verdict.effect.value))  # fmt: skip
            if not verdict.allowed:
                _deny(self, denial(key.arn, check.action, check.resource, verdict.effect))

    ActionAuthenticatorMixin._authenticate_and_authorize_action = authorize  # type: ignore[method-assign]
    ACTION_MAP["BUCKET"]["GET"].update(S3_BUCKET_READS)
    _install_web_identity()


def _trust(iam: Any, role_arn: str) -> dict[str, Any]:
    role = iam.get_role_by_arn(role_arn)
    document = role.assume_role_policy_document
    return json.loads(document) if isinstance(document, str) else dict(document)


def _bucket_policy(account: str, resource: str) -> list[dict[str, Any]]:
    from moto.s3.models import s3_backends

    bucket_name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    bucket = s3_backends[account]["aws"].buckets.get(bucket_name)
    policy = getattr(bucket, "policy", None)
    return [json.loads(policy)] if policy else []


def _install_web_identity() -> None:
    """AssumeRoleWithWebIdentity: the issuer's OIDC provider must exist with the token's
    audience, and the role's trust policy must allow the provider and the token's claims."""
    from joserfc import jws
    from moto.iam.models import iam_backends
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role_with_web_identity

    def assume_role_with_web_identity(self: Any) -> Any:
        role_arn = self._get_param("RoleArn")
        claims = json.loads(jws.extract_compact(self._get_param("WebIdentityToken").encode()).payload)
        issuer = str(claims.get("iss", "")).removeprefix("https://")
        account = role_arn.split(":")[4]
        iam = iam_backends[account]["aws"]
        provider_arn = f"arn:aws:iam::{account}:oidc-provider/{issuer}"
        provider = iam.open_id_providers.get(provider_arn)
        audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
        context = {
            f"{issuer}:{name}": [str(claims[name])] for name in ("sub", "aud", "amr") if name in claims
        }
        verdict = evaluate(
            [_trust(iam, role_arn)],
            Request("sts:AssumeRoleWithWebIdentity", role_arn, context),
            {"Federated": provider_arn},
        )
        subject = f"{issuer}:{claims.get('sub')}"
        allowed = (
            provider is not None and bool(set(audiences) & set(provider.client_id_list)) and verdict.allowed
        )
        reason = verdict.statement or verdict.effect.value if provider else f"no OIDC provider for {issuer}"
        LEDGER.add(
            Call(
                role_arn.rsplit("/", 1)[-1],
                subject,
                "sts:AssumeRoleWithWebIdentity",
                role_arn,
                allowed,
                reason,
            )
        )
        if not allowed:
            action = "sts:AssumeRoleWithWebIdentity"
            _deny(self, f"Not authorized to perform {action} on {role_arn} for {subject} ({reason})")
        return original(self)

    TokenResponse.assume_role_with_web_identity = assume_role_with_web_identity  # type: ignore[method-assign]

"""The IAM evaluator against the cases AWS's policy-evaluation and condition-operator pages
describe; the emulator authorises every call of a principal under test with it."""

from __future__ import annotations

import pytest

from ops.emulator.policy import Effect, Request, arn_like, evaluate

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/dev-platform"
DEPLOY = {  # the shape of 01-base's deploy role
    "Statement": [
        {
            "Sid": "TaskDefinitions",
            "Effect": "Allow",
            "Action": ["ecs:RegisterTaskDefinition"],
            "Resource": "*",
        },
        {
            "Sid": "TagNewRevisions",
            "Effect": "Allow",
            "Action": "ecs:TagResource",
            "Resource": "arn:aws:ecs:us-east-1:123456789012:task-definition/dev-*:*",
            "Condition": {"StringEquals": {"ecs:CreateAction": "RegisterTaskDefinition"}},
        },
        {
            "Sid": "WatchTasks",
            "Effect": "Allow",
            "Action": ["ecs:ListTasks", "ecs:DescribeTasks"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"ecs:cluster": CLUSTER}},
        },
        {
            "Sid": "RecordImageTags",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:PutParameter"],
            "Resource": ["arn:aws:ssm:us-east-1:123456789012:parameter/dev/api-comments/image-tag"],
        },
    ]
}


def verdict(policy: dict[str, object], action: str, resource: str = "*", **context: str) -> Effect:
    keys = {name.replace("__", ":"): [value] for name, value in context.items()}
    return evaluate([policy], Request(action, resource, keys)).effect


def test_tagging_on_create_is_allowed_only_with_the_create_action() -> None:
    revision = "arn:aws:ecs:us-east-1:123456789012:task-definition/dev-api-comments:3"
    assert (
        verdict(DEPLOY, "ecs:TagResource", revision, ecs__CreateAction="RegisterTaskDefinition")
        is Effect.ALLOW
    )
    assert verdict(DEPLOY, "ecs:TagResource", revision) is Effect.IMPLICIT_DENY  # an existing resource
    other = "arn:aws:ecs:us-east-1:123456789012:task-definition/prd-api-comments:3"
    assert (
        verdict(DEPLOY, "ecs:TagResource", other, ecs__CreateAction="RegisterTaskDefinition")
        is Effect.IMPLICIT_DENY
    )


def test_resources_match_component_by_component_and_actions_ignore_case() -> None:
    tag = "arn:aws:ssm:us-east-1:123456789012:parameter/dev/api-comments/image-tag"
    assert verdict(DEPLOY, "SSM:getparameter", tag) is Effect.ALLOW
    assert verdict(DEPLOY, "ssm:GetParameter", tag.replace("image-tag", "deployment")) is Effect.IMPLICIT_DENY
    assert verdict(DEPLOY, "ssm:DeleteParameter", tag) is Effect.IMPLICIT_DENY
    assert arn_like("arn:aws:ecs:*:*:task/dev-platform/*", "arn:aws:ecs:us-east-1:1:task/dev-platform/abc")
    assert not arn_like(
        "arn:aws:ecs:*:*:task/dev-platform/*", "arn:aws:ecs:us-east-1:1:task/prd-platform/abc"
    )


def test_a_cluster_condition_holds_for_that_cluster_only() -> None:
    assert verdict(DEPLOY, "ecs:ListTasks", ecs__cluster=CLUSTER) is Effect.ALLOW
    assert (
        verdict(DEPLOY, "ecs:ListTasks", ecs__cluster=CLUSTER.replace("dev", "prd")) is Effect.IMPLICIT_DENY
    )
    assert verdict(DEPLOY, "ecs:ListTasks") is Effect.IMPLICIT_DENY  # the key is missing: no match


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policies = [
        {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]},
        {
            "Statement": [
                {
                    "Sid": "OnlyState",
                    "Effect": "Deny",
                    "Action": "s3:GetObject",
                    "NotResource": "arn:aws:s3:::state/*/terraform.tfstate",
                }
            ]
        },
    ]
    state, logs = "arn:aws:s3:::state/01-base/terraform.tfstate", "arn:aws:s3:::alb-logs/public/x.gz"
    assert evaluate(policies, Request("s3:GetObject", state)).allowed
    denied = evaluate(policies, Request("s3:GetObject", logs))
    assert (denied.effect, denied.statement) == (Effect.EXPLICIT_DENY, "OnlyState")


@pytest.mark.parametrize(
    ("operator", "value", "context", "holds"),
    [
        ("StringNotEquals", "a", {}, True),  # a missing key makes a negated operator true
        ("StringEquals", "a", {}, False),
        ("StringEqualsIfExists", "a", {}, True),
        ("StringEqualsIfExists", "a", {"k": ["b"]}, False),
        ("StringLike", "repo:acme/*:pull_request", {"k": ["repo:acme/platform:pull_request"]}, True),
        ("StringLike", "repo:acme/*:pull_request", {"k": ["repo:evil/platform:pull_request"]}, False),
        ("Bool", "false", {"k": ["true"]}, False),
        ("Null", "true", {}, True),
        ("Null", "false", {}, False),
        ("NumericLessThan", "10", {"k": ["3"]}, True),
        ("IpAddress", "10.0.0.0/8", {"k": ["10.1.2.3"]}, True),
        ("ForAnyValue:StringEquals", "b", {"k": ["a", "b"]}, True),
        ("ForAllValues:StringEquals", "b", {"k": ["a", "b"]}, False),
    ],
)
def test_condition_operators(operator: str, value: str, context: dict[str, list[str]], holds: bool) -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Action": "x:Y", "Resource": "*", "Condition": {operator: {"k": value}}}
        ]
    }
    assert evaluate([policy], Request("x:Y", "*", context)).allowed is holds


def test_a_trust_policy_checks_the_principal_and_the_token_claims() -> None:
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Principal": {"Federated": provider},
                "Condition": {
                    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                    "StringLike": {
                        "token.actions.githubusercontent.com:sub": "repo:acme/platform:pull_request*"
                    },
                },
            }
        ]
    }
    claims = {"token.actions.githubusercontent.com:aud": ["sts.amazonaws.com"],
              "token.actions.githubusercontent.com:sub": ["repo:acme/platform:pull_request"]}  # fmt: skip
    request = Request(
        "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::123456789012:role/dev-github-plan", claims
    )
    assert evaluate([trust], request, {"Federated": provider}).allowed
    other_provider = {"Federated": provider.replace("token.actions", "gitlab")}
    assert not evaluate([trust], request, other_provider).allowed
    forked = {**claims, "token.actions.githubusercontent.com:sub": ["repo:evil/platform:pull_request"]}
    assert not evaluate(
        [trust], Request(request.action, request.resource, forked), {"Federated": provider}
    ).allowed
    role = {"AWS": "arn:aws:sts::123456789012:assumed-role/dev-github-deploy/gh"}
    assert not evaluate([trust], Request("sts:AssumeRole", request.resource), role).allowed

"""IAM policy evaluation, as AWS documents it, for the emulator's principals under test.

moto checks actions only: every resource is "*" to it and conditions are ignored outside
trust policies, so a role scoped to one cluster or one parameter looks either all-powerful or
useless. This module evaluates statements the way IAM does, for one account:

- an explicit Deny in any policy wins; otherwise an Allow in an identity-based policy or in
  the resource's own policy allows; otherwise the request is implicitly denied
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
- Action and NotAction match case-insensitively with `*` and `?`; Resource and NotResource
  match case-sensitively, ARNs component by component
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html);
- Condition blocks: every operator and every key must match, any one of a key's values
  suffices; `...IfExists`, `ForAnyValue:`/`ForAllValues:`, and a missing key makes a
  negated operator true and any other false
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).

No maintained, permissively licensed Python library does this (PMapper's simulator is AGPL;
moto's ignores resources), so it is written here, with the documents as its specification.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any

Context = Mapping[str, Sequence[str]]


class Effect(Enum):
    ALLOW = "allowed"
    EXPLICIT_DENY = "explicitly denied"
    IMPLICIT_DENY = "not allowed"


@dataclass(frozen=True)
class Request:
    """One authorisation: an action on a resource, with the request's condition keys."""

    action: str
    resource: str = "*"
    context: Context = field(default_factory=dict)

    def value(self, key: str) -> list[str] | None:
        for name, values in self.context.items():
            if name.lower() == key.lower():
                return list(values)
        return None


@dataclass(frozen=True)
class Verdict:
    effect: Effect
    statement: str = ""  # the Sid (or index) of the statement that decided

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_wildcard(pattern, ignore_case).match(value))


def arn_like(pattern: str, value: str) -> bool:
    """ARNs are compared component by component (the sixth holds the rest, colons included)."""
    if pattern == "*":
        return True
    expected, actual = pattern.split(":", 5), value.split(":", 5)
    if len(expected) != 6 or len(actual) != 6:
        return like(pattern, value)
    return all(like(e, a) for e, a in zip(expected, actual, strict=True))


def _matches_action(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(like(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(like(p, action, ignore_case=True) for p in _as_list(statement.get("Action", [])))


def _matches_resource(statement: Mapping[str, Any], resource: str) -> bool:
    if "NotResource" in statement:
        return not any(arn_like(p, resource) for p in _as_list(statement["NotResource"]))
    if "Resource" not in statement:  # a trust policy's statements name no resource
        return True
    return any(arn_like(p, resource) for p in _as_list(statement["Resource"]))


def _compare(base: str, expected: str, actual: str) -> bool:
    if base in ("StringEquals", "StringNotEquals"):
        return expected == actual
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return expected.lower() == actual.lower()
    if base in ("StringLike", "StringNotLike"):
        return like(expected, actual)
    if base in ("ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"):
        return arn_like(expected, actual)
    if base == "Bool":
        return expected.lower() == actual.lower()
    if base.startswith("Numeric"):
        operation = base.removeprefix("Numeric").removeprefix("Not")
        left, right = float(actual), float(expected)
        return {"Equals": left == right, "LessThan": left < right, "LessThanEquals": left <= right,
                "GreaterThan": left > right, "GreaterThanEquals": left >= right}[operation]  # fmt: skip
    if base.startswith("Date"):
        operation = base.removeprefix("Date").removeprefix("Not")
        when, limit = datetime.fromisoformat(actual), datetime.fromisoformat(expected)
        return {"Equals": when == limit, "LessThan": when < limit, "LessThanEquals": when <= limit,
                "GreaterThan": when > limit, "GreaterThanEquals": when >= limit}[operation]  # fmt: skip
    if base in ("IpAddress", "NotIpAddress"):
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    raise ValueError(f"unsupported condition operator {base}")


NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike",
           "NumericNotEquals", "DateNotEquals", "NotIpAddress"}  # fmt: skip


def _condition_holds(operator: str, key: str, expected: list[str], request: Request) -> bool:
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    actual = request.value(key)
    if base == "Null":
        return (actual is None) == (str(expected[0]).lower() == "true")
    if actual is None:
        return if_exists or base in NEGATED or qualifier == "ForAllValues"
    expected = [str(value) for value in expected]
    negated = base in NEGATED

    def one(value: str) -> bool:
        hit = any(_compare(base, e, value) for e in expected)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(value) for value in actual)
    return any(one(value) for value in actual)  # a single-valued key, or ForAnyValue


def _conditions_hold(statement: Mapping[str, Any], request: Request) -> bool:
    return all(
        _condition_holds(operator, key, _as_list(expected), request)
        for operator, block in (statement.get("Condition") or {}).items()
        for key, expected in block.items()
    )


def principal_matches(statement: Mapping[str, Any], principal: Mapping[str, str]) -> bool:
    """A resource policy's Principal against the caller ({"AWS": arn} or {"Service": ...} or
    {"Federated": ...}); the account root ARN stands for every principal of the account."""
    named = statement.get("Principal")
    if named is None:
        return True  # identity-based statements name no principal
    if named == "*":
        return True
    for kind, value in principal.items():
        for candidate in _as_list(named.get(kind, [])):
            account = value.split(":")[4] if value.startswith("arn:") else None
            if candidate in ("*", value) or (
                account and candidate in (account, f"arn:aws:iam::{account}:root")
            ):
                return True
    return False


def statement_applies(
    statement: Mapping[str, Any], request: Request, principal: Mapping[str, str] | None
) -> bool:
    return (
        _matches_action(statement, request.action)
        and _matches_resource(statement, request.resource)
        and (principal is None or principal_matches(statement, principal))
        and _conditions_hold(statement, request)
    )


def evaluate(
    policies: Iterable[Mapping[str, Any]], request: Request, principal: Mapping[str, str] | None = None
) -> Verdict:
    """The IAM decision for ``request`` under ``policies`` (identity-based ones, and the
    resource's own policy with ``principal``, the caller, to match its Principal elements)."""
    allowed_by = ""
    for number, policy in enumerate(policies):
        for index, statement in enumerate(_as_list(policy.get("Statement", []))):
            if not statement_applies(statement, request, principal):
                continue
            sid = statement.get("Sid") or f"policy {number} statement {index}"
            if statement.get("Effect") == "Deny":
                return Verdict(Effect.EXPLICIT_DENY, sid)
            allowed_by = allowed_by or sid
    return Verdict(Effect.ALLOW, allowed_by) if allowed_by else Verdict(Effect.IMPLICIT_DENY)

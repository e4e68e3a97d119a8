"""Least privilege, measured: what each role under test called on the emulator, what it was
denied, and which of the permissions it holds were never used.

The calls come from the emulator's ledger (`/_platform/iam/calls`); the permissions from
the roles' policies. A statement's action counts as used when a call of the role matched it;
AWS managed policies (ReadOnlyAccess, AdministratorAccess) grant by wildcard and are reported
as such, not itemised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import requests

from ops.aws import AwsContext
from ops.emulator.iam import Call
from ops.emulator.policy import like


@dataclass
class RoleUsage:
    role: str
    used: set[str] = field(default_factory=set)
    denied: list[Call] = field(default_factory=list)
    granted: set[str] = field(default_factory=set)  # actions named in customer or inline statements
    managed: list[str] = field(default_factory=list)  # AWS managed policies attached

    @property
    def unused(self) -> list[str]:
        return sorted(
            g for g in self.granted if not any(like(g, used, ignore_case=True) for used in self.used)
        )


def calls(endpoint: str) -> list[Call]:
    answer = requests.get(f"{endpoint}/_platform/iam/calls", timeout=10)
    answer.raise_for_status()
    return [Call(**item) for item in answer.json()]


def clear(endpoint: str) -> None:
    requests.delete(f"{endpoint}/_platform/iam/calls", timeout=10).raise_for_status()


def denials(recorded: list[Call], role: str | None = None) -> list[str]:
    """One line per denied call: role, action, resource and why."""
    return [f"DENIED: {c.role} {c.action} on {c.resource} ({c.reason})"
            for c in recorded if not c.allowed and (role is None or c.role == role)]  # fmt: skip


def _statements(document: Any) -> list[dict[str, Any]]:
    document = json.loads(document) if isinstance(document, str) else document
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def usage(aws: AwsContext, recorded: list[Call]) -> list[RoleUsage]:
    """Per role that made calls: the actions it used and was denied, and what it holds."""
    iam = aws.client("iam")
    roles: dict[str, RoleUsage] = {}
    for call in recorded:
        role = roles.setdefault(call.role, RoleUsage(call.role))
        if call.allowed:
            role.used.add(call.action)
        else:
            role.denied.append(call)
    for role in roles.values():
        for name in iam.list_role_policies(RoleName=role.role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role.role, PolicyName=name)["PolicyDocument"]
            for statement in _statements(document):
                if statement.get("Effect") == "Allow":
                    actions = statement.get("Action", [])
                    role.granted |= {actions} if isinstance(actions, str) else set(actions)
        for attached in iam.list_attached_role_policies(RoleName=role.role)["AttachedPolicies"]:
            role.managed.append(attached["PolicyName"])
    return sorted(roles.values(), key=lambda r: r.role)


def rows(report: list[RoleUsage]) -> list[list[str]]:
    return [
        [
            r.role,
            str(len(r.used)),
            str(len(r.denied)),
            ", ".join(r.unused) or "none",
            ", ".join(r.managed) or "-",
        ]
        for r in report
    ]


COLUMNS = ["role", "actions used", "denied", "granted, never used", "AWS managed (not itemised)"]

"""Patches of IAM service-linked roles, each naming the provider call or AWS document it serves."""

from __future__ import annotations


def patch_service_linked_role_names() -> None:
    """`invoke bootstrap` looks up ECS's service-linked role by the name AWS gives it,
    AWSServiceRoleForECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html);
    moto derives AWSServiceRoleForecs from the service name."""
    from moto.iam import models

    models.SERVICE_NAME_CONVERSION.setdefault("ecs", "ECS")

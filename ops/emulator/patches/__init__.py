"""Where moto lacks an API the AWS provider calls, or answers differently from AWS, the gap is
closed here: one module per AWS service, one function per gap, each naming the provider call
(or the AWS document) it serves (docs/adr/0004). PATCHES is the order they are applied in."""

from __future__ import annotations

from collections.abc import Callable

from ops.emulator.patches import autoscaling, ec2, ecs, efs, elasticache, iam, route53

PATCHES: list[Callable[[], None]] = [
    ecs.patch_ecs_latest_active_revision,
    iam.patch_service_linked_role_names,
    route53.patch_route53_private_zones,
    autoscaling.patch_application_autoscaling,
    ecs.patch_ecs_service_fields,
    ecs.patch_ecs_scheduler,
    ecs.patch_ecs_task_pages_and_zones,
    ecs.patch_ecs_task_addresses,
    ec2.patch_security_group_reference_descriptions,
    efs.patch_efs_policies,
    elasticache.patch_elasticache_members,
]

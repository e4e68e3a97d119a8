"""Patches of EC2 security groups, each naming the provider call or AWS document it serves."""

from __future__ import annotations


def patch_security_group_reference_descriptions() -> None:
    """aws_vpc_security_group_ingress_rule with referenced_security_group_id: moto keeps
    the description with the referenced group, and DescribeSecurityGroupRules drops it."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]

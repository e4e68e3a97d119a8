"""Patches of Route 53 private zones, each naming the provider call or AWS document it serves."""

from __future__ import annotations


def patch_route53_private_zones() -> None:
    """aws_route53_zone with a vpc block: AWS makes a zone created with a VPC private;
    moto only looks at HostedZoneConfig.PrivateZone, which the provider does not send,
    and GetHostedZone drops the VPCs (snake_case keys), so every plan re-adds them."""
    from moto.core.responses import ActionResult
    from moto.route53.responses import Route53

    create_hosted_zone = Route53.create_hosted_zone
    get_hosted_zone = Route53.get_hosted_zone

    def create_hosted_zone_private_with_vpc(self: Route53) -> ActionResult:
        result = create_hosted_zone(self)
        vpc_id, region = self._get_param("VPC.VPCId"), self._get_param("VPC.VPCRegion")
        zone = list(self.backend.zones.values())[-1]  # the zone just created
        if vpc_id and not zone.private_zone:
            zone.private_zone = True
            zone.add_vpc(vpc_id, region or self.region)
        return result

    def get_hosted_zone_with_vpcs(self: Route53) -> ActionResult:
        zone = self.backend.get_hosted_zone(self._get_param("Id"))
        if not zone.private_zone:
            return get_hosted_zone(self)
        return ActionResult({
            "HostedZone": zone,
            "VPCs": [{"VPCId": vpc.get("vpc_id"), "VPCRegion": vpc.get("vpc_region")} for vpc in zone.vpcs],
        })  # fmt: skip

    Route53.create_hosted_zone = create_hosted_zone_private_with_vpc  # type: ignore[method-assign]
    Route53.get_hosted_zone = get_hosted_zone_with_vpcs  # type: ignore[method-assign]

"""The emulator's patches, called the way the AWS provider calls them (through boto3)."""

from __future__ import annotations

from typing import Any

import pytest

from ops import emulator


def test_scalable_targets_can_be_tagged(aws: Any) -> None:
    ecs, scaling = aws.client("ecs"), aws.client("application-autoscaling")
    ecs.create_cluster(clusterName="tags")
    ecs.create_service(cluster="tags", serviceName="api", desiredCount=1)
    scaling.register_scalable_target(
        ServiceNamespace="ecs", ResourceId="service/tags/api", ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1, MaxCapacity=2,
    )  # fmt: skip
    arn = scaling.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]["ScalableTargetARN"]
    scaling.tag_resource(ResourceARN=arn, Tags={"Service": "api", "Owner": "ops"})
    scaling.untag_resource(ResourceARN=arn, TagKeys=["Owner"])
    assert scaling.list_tags_for_resource(ResourceARN=arn)["Tags"] == {"Service": "api"}


def test_efs_policies_round_trip(aws: Any) -> None:
    efs = aws.client("efs")
    file_system = efs.create_file_system(CreationToken="backup", Encrypted=True)["FileSystemId"]
    efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "ENABLED"})
    assert efs.describe_backup_policy(FileSystemId=file_system)["BackupPolicy"]["Status"] == "ENABLED"
    efs.put_backup_policy(FileSystemId=file_system, BackupPolicy={"Status": "DISABLED"})
    assert efs.describe_backup_policy(FileSystemId=file_system)["BackupPolicy"]["Status"] == "DISABLED"

    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}'
    )
    efs.put_file_system_policy(FileSystemId=file_system, Policy=policy)
    efs.delete_file_system_policy(FileSystemId=file_system)
    with pytest.raises(efs.exceptions.PolicyNotFound):
        efs.describe_file_system_policy(FileSystemId=file_system)


def test_replication_group_creates_and_deletes_its_member_clusters(aws: Any) -> None:
    elasticache = aws.client("elasticache")
    elasticache.create_replication_group(
        ReplicationGroupId="comments", ReplicationGroupDescription="comment store", Engine="redis",
        CacheNodeType="cache.t4g.micro", NumCacheClusters=2, TransitEncryptionEnabled=True,
        AtRestEncryptionEnabled=True, SecurityGroupIds=["sg-0123456789abcdef0"],
    )  # fmt: skip
    group = elasticache.describe_replication_groups(ReplicationGroupId="comments")["ReplicationGroups"][0]
    assert group["MemberClusters"] == ["comments-001", "comments-002"]
    member = elasticache.describe_cache_clusters(CacheClusterId="comments-001")["CacheClusters"][0]
    assert member["ReplicationGroupId"] == "comments"
    assert member["AtRestEncryptionEnabled"] is True
    assert member["SecurityGroups"] == [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}]

    elasticache.delete_replication_group(ReplicationGroupId="comments")
    with pytest.raises(elasticache.exceptions.ReplicationGroupNotFoundFault):
        elasticache.describe_replication_groups(ReplicationGroupId="comments")
    with pytest.raises(elasticache.exceptions.CacheClusterNotFoundFault):
        elasticache.describe_cache_clusters(CacheClusterId="comments-002")


def test_cache_subnet_group_can_be_deleted(aws: Any) -> None:
    ec2, elasticache = aws.client("ec2"), aws.client("elasticache")
    vpc = ec2.create_vpc(CidrBlock="10.98.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.98.1.0/24")["Subnet"]["SubnetId"]
    elasticache.create_cache_subnet_group(
        CacheSubnetGroupName="comments", CacheSubnetGroupDescription="store", SubnetIds=[subnet]
    )
    elasticache.delete_cache_subnet_group(CacheSubnetGroupName="comments")
    with pytest.raises(elasticache.exceptions.CacheSubnetGroupNotFoundFault):
        elasticache.delete_cache_subnet_group(CacheSubnetGroupName="comments")


def test_zone_created_with_a_vpc_is_private_and_lists_it(aws: Any) -> None:
    vpc = aws.client("ec2").create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    route53 = aws.client("route53")
    zone = route53.create_hosted_zone(
        Name="internal.example.test",
        CallerReference="private-zone",
        VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
    )["HostedZone"]["Id"]
    answer = route53.get_hosted_zone(Id=zone)
    assert answer["HostedZone"]["Config"]["PrivateZone"] is True
    assert answer["VPCs"] == [{"VPCRegion": "us-east-1", "VPCId": vpc}]

    public = route53.create_hosted_zone(Name="example.test", CallerReference="public-zone")["HostedZone"][
        "Id"
    ]
    assert route53.get_hosted_zone(Id=public)["HostedZone"]["Config"]["PrivateZone"] is False


def test_start_is_idempotent_and_stop_ends_it() -> None:
    """On a port of its own: the session's emulator keeps serving the other tests."""
    from ops.server import free_port

    port = free_port()
    assert emulator.start_background(port) is True
    try:
        assert emulator.is_running(port)
        assert emulator.start_background(port) is False  # already answering: not started twice
    finally:
        assert emulator.stop_background(port) is True
    assert not emulator.is_running(port)
    assert emulator.stop_background(port) is False  # nothing left to stop


def test_aws_managed_policies_exist_as_in_an_account(aws: Any) -> None:
    # Roles attach AWS managed policies by ARN (01-base's ECS execution role, for one).
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    version = aws.client("iam").get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = aws.client("iam").get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]
    assert "ecr:GetAuthorizationToken" in str(document["Document"])

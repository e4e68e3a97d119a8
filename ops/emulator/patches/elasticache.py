"""Patches of ElastiCache replication groups, each naming the provider call or the AWS document it
serves."""

from __future__ import annotations

import inspect
from typing import Any


def patch_elasticache_members() -> None:
    """aws_elasticache_replication_group: the provider reads member clusters `<id>-001`…,
    which moto does not create; and a deleted group must disappear, not stay 'deleting'.
    aws_elasticache_subnet_group: DeleteCacheSubnetGroup is missing (destroy hangs)."""
    from moto.core.responses import EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create_group = ElastiCacheBackend.create_replication_group
    delete_group = ElastiCacheBackend.delete_replication_group
    cluster_params = [
        p for p in inspect.signature(ElastiCacheBackend.create_cache_cluster).parameters if p != "self"
    ]

    def create_replication_group(self: ElastiCacheBackend, **kwargs: Any) -> Any:
        group = create_group(self, **kwargs)
        azs = kwargs.get("preferred_cache_cluster_azs") or []
        for n in range(1, (kwargs.get("num_cache_clusters") or 1) + 1):
            member: dict[str, Any] = dict.fromkeys(cluster_params)
            member.update(
                cache_cluster_id=f"{group.replication_group_id}-{n:03d}",
                replication_group_id=group.replication_group_id,
                num_cache_nodes=1,
                preferred_availability_zone=azs[n - 1] if n <= len(azs) else None,
                log_delivery_configurations=[],
                **{key: kwargs.get(key) for key in (
                    "cache_node_type", "engine", "engine_version", "cache_parameter_group_name",
                    "cache_subnet_group_name", "security_group_ids", "port", "transit_encryption_enabled",
                    "snapshot_retention_limit", "snapshot_window", "preferred_maintenance_window",
                    "auto_minor_version_upgrade", "network_type", "ip_discovery",
                )},
            )  # fmt: skip
            cluster = self.create_cache_cluster(**member)
            # The provider reads these from the first member, which moto's cluster lacks.
            cluster.at_rest_encryption_enabled = bool(kwargs.get("at_rest_encryption_enabled"))  # type: ignore[attr-defined]
            cluster.auth_token_enabled = bool(kwargs.get("auth_token"))
            cluster.security_groups = [  # type: ignore[attr-defined]
                {"SecurityGroupId": group_id, "Status": "active"}
                for group_id in kwargs.get("security_group_ids") or []
            ]
            if member["cache_cluster_id"] not in group.member_clusters:
                group.member_clusters.append(str(member["cache_cluster_id"]))
        return group

    def delete_replication_group(self: ElastiCacheBackend, **kwargs: Any) -> Any:
        group = delete_group(self, **kwargs)
        for member in list(group.member_clusters):
            self.cache_clusters.pop(member, None)
        self.replication_groups.pop(group.replication_group_id, None)
        return group

    def delete_cache_subnet_group(self: ElastiCacheResponse) -> EmptyResult:
        name = self._get_param("CacheSubnetGroupName")
        if self.elasticache_backend.cache_subnet_groups.pop(name, None) is None:
            raise CacheSubnetGroupNotFound(name)
        return EmptyResult()

    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group  # type: ignore[attr-defined]
    ElastiCacheBackend.create_replication_group = create_replication_group  # type: ignore[method-assign,assignment]
    ElastiCacheBackend.delete_replication_group = delete_replication_group  # type: ignore[method-assign,assignment]

"""Where moto lacks an API the AWS provider calls, or answers differently from AWS, the gap is
closed here, one function per gap, each naming the provider call (or the AWS document) it
serves (docs/adr/0004)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from ops.emulator import KNOBS


def _patch_application_autoscaling() -> None:
    """aws_appautoscaling_target: the provider sends Tags with RegisterScalableTarget (and
    tags later with TagResource), then reads them with ListTagsForResource; moto 5.2
    implements none of it, so a plan would re-add the default tags forever."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    register = ApplicationAutoScalingResponse.register_scalable_target

    def tags_of(self: ApplicationAutoScalingResponse, arn: str) -> dict[str, str]:
        store: dict[str, dict[str, str]] = self.applicationautoscaling_backend.__dict__.setdefault(
            "_tags", {}
        )
        return store.setdefault(arn, {})

    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        answer = register(self)
        tags_of(self, json.loads(answer)["ScalableTargetARN"]).update(self._get_param("Tags") or {})
        return answer

    def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
        return json.dumps({"Tags": tags_of(self, self._get_param("ResourceARN"))})

    def tag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags_of(self, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self: ApplicationAutoScalingResponse) -> str:
        tags = tags_of(self, self._get_param("ResourceARN"))
        for key in self._get_param("TagKeys") or []:
            tags.pop(key, None)
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.tag_resource = tag_resource  # type: ignore[attr-defined]
    ApplicationAutoScalingResponse.untag_resource = untag_resource  # type: ignore[attr-defined]


# Service settings the provider sends and reads back, which moto's CreateService and
# UpdateService drop; kept on the service under the attribute names moto serialises.
ECS_SERVICE_FIELDS = (
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
)


def _patch_ecs_service_fields() -> None:
    """aws_ecs_service: availability_zone_rebalancing, enable_ecs_managed_tags,
    health_check_grace_period_seconds, the capacity provider strategy, the deployment
    circuit breaker and ECS Exec would otherwise show as changes on every plan."""
    from botocore import xform_name
    from moto.core.responses import ActionResult
    from moto.ecs.responses import EC2ContainerServiceResponse

    def keeping_fields(action: Callable[[EC2ContainerServiceResponse], ActionResult]) -> Any:
        def wrapper(self: EC2ContainerServiceResponse) -> ActionResult:
            result = action(self)
            service = result.result["service"]  # type: ignore[index]
            for field in ECS_SERVICE_FIELDS:
                value = self._get_param(field)
                if value is not None:
                    setattr(service, xform_name(field), value)
            return result

        return wrapper

    EC2ContainerServiceResponse.create_service = keeping_fields(EC2ContainerServiceResponse.create_service)  # type: ignore[method-assign]
    EC2ContainerServiceResponse.update_service = keeping_fields(EC2ContainerServiceResponse.update_service)  # type: ignore[method-assign]


def _patch_ecs_scheduler() -> None:
    """invoke deploy (ecs-deploy) waits until the service's tasks of the new revision run,
    and moto starts no tasks for a service. Like the ECS scheduler, this starts
    desired_count tasks of the service's revision (group `service:<name>`) and stops the
    previous ones, and ListTasks filters by service. With KNOBS.failed_tasks above 0,
    a revision that never ran fails to start (a broken new image): its deployment is marked
    FAILED, as the circuit breaker would, and the old tasks stay. With a local agent attached,
    deployments roll as ECS's do instead, from the health the agent reports (scheduler.py)."""
    from moto.ecs.models import EC2ContainerServiceBackend, Service
    from moto.moto_api import state_manager

    from . import scheduler

    # moto walks a task through its whole lifecycle, one step per describe; a service's
    # tasks keep running until the scheduler stops them.
    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**9})
    create_service = EC2ContainerServiceBackend.create_service
    update_service = EC2ContainerServiceBackend.update_service
    list_tasks = EC2ContainerServiceBackend.list_tasks
    list_tasks_signature = inspect.signature(list_tasks)

    def schedule(backend: EC2ContainerServiceBackend, service: Service) -> None:
        if not service.task_definition or not service.deployments:
            return
        if scheduler.attached(backend):  # a local agent runs the tasks and reports their health
            scheduler.roll(backend, service)
            return
        group, deployment = f"service:{service.name}", service.deployments[0]
        ran: set[str] = backend.__dict__.setdefault("_revisions_that_ran", set())
        failed = KNOBS.failed_tasks
        deployment["taskDefinition"] = service.task_definition
        if failed and service.task_definition not in ran:
            deployment.update(
                rolloutState="FAILED",
                rolloutStateReason=f"ECS deployment circuit breaker: {failed} tasks failed to start.",
                failedTasks=failed,
                runningCount=0,
            )
            return
        for task in list_tasks(backend, service.cluster_name):
            if task.group == group and task.desired_status == "RUNNING":
                backend.stop_task(service.cluster_name, task.task_arn, "replaced by a new deployment")
        if service.desired_count:
            backend.run_task(
                service.cluster_name, service.task_definition, service.desired_count, None,
                f"ecs-svc/{service.name}", None, "FARGATE", group=group,
                networking_configuration=service.network_configuration or None,
            )  # fmt: skip
        ran.add(service.task_definition)
        service.running_count, service.pending_count = service.desired_count, 0
        deployment.update(
            rolloutState="COMPLETED",
            rolloutStateReason=f"ECS deployment {deployment['id']} completed.",
            failedTasks=0,
            runningCount=service.desired_count,
        )

    def create_and_schedule(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> Service:
        service = create_service(self, *args, **kwargs)
        if service.deployments and scheduler.attached(self):
            service.deployments[0]["rolloutState"] = "IN_PROGRESS"
        schedule(self, service)
        return service

    def update_and_schedule(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
        service = update_service(self, dict(service_properties))
        # AWS answers the revision's ARN, however it was named (family:revision); moto keeps the
        # name, and the provider's read of the service then fails on it.
        if service_properties.get("task_definition") and service.task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        if service_properties.get("task_definition") or service_properties.get("desired_count") is not None:
            schedule(self, service)
        return service

    def list_tasks_of_service(self: EC2ContainerServiceBackend, *args: Any, **kwargs: Any) -> list[Any]:
        tasks = list_tasks(self, *args, **kwargs)
        service_name = list_tasks_signature.bind(self, *args, **kwargs).arguments.get("service_name")
        return [t for t in tasks if t.group == f"service:{service_name}"] if service_name else tasks

    calculate = EC2ContainerServiceBackend._calculate_task_resource_requirements
    memory_keys = {"memory", "memoryReservation", "Memory", "MemoryReservation"}

    def calculate_with_task_level_sizes(task_definition: Any) -> Any:
        # Fargate sizes the task, not its containers, which may omit memory; moto adds them up.
        original = task_definition.container_definitions
        task_definition.container_definitions = [
            c if memory_keys & set(c) else {**c, "memory": 0} for c in original
        ]
        try:
            return calculate(task_definition)
        finally:
            task_definition.container_definitions = original

    sizes = staticmethod(calculate_with_task_level_sizes)
    EC2ContainerServiceBackend._calculate_task_resource_requirements = sizes  # type: ignore[method-assign]
    EC2ContainerServiceBackend.create_service = create_and_schedule  # type: ignore[method-assign]
    EC2ContainerServiceBackend.update_service = update_and_schedule  # type: ignore[method-assign]
    EC2ContainerServiceBackend.list_tasks = list_tasks_of_service  # type: ignore[method-assign]


def _patch_security_group_reference_descriptions() -> None:
    """aws_vpc_security_group_ingress_rule with referenced_security_group_id: moto keeps
    the description with the referenced group, and DescribeSecurityGroupRules drops it."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[method-assign,assignment]


def _patch_efs_policies() -> None:
    """aws_efs_backup_policy: PutBackupPolicy is missing, and DescribeBackupPolicy answers
    PolicyNotFound for a policy set to DISABLED (AWS answers its status).
    aws_efs_file_system_policy: DeleteFileSystemPolicy is missing (destroy hangs)."""
    from moto.efs.responses import EFSResponse

    def file_system(self: EFSResponse) -> Any:
        _, (found,) = self.efs_backend.describe_file_systems(file_system_id=self._get_param("FileSystemId"))
        return found

    def answer(status: str) -> tuple[str, dict[str, Any]]:
        return json.dumps({"BackupPolicy": {"Status": status}}), {"Content-Type": "application/json"}

    def put_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        status = (self._get_param("BackupPolicy") or {}).get("Status", "DISABLED")
        target = file_system(self)
        target._backup = status == "ENABLED"
        target._backup_policy_status = status
        return answer(status)

    describe = EFSResponse.describe_backup_policy

    def describe_backup_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        status = getattr(file_system(self), "_backup_policy_status", None)
        return answer(status) if status else describe(self)

    def delete_file_system_policy(self: EFSResponse) -> tuple[str, dict[str, Any]]:
        file_system(self).file_system_policy = None
        return "{}", {"status": 200, "Content-Type": "application/json"}

    EFSResponse.put_backup_policy = put_backup_policy  # type: ignore[attr-defined]
    EFSResponse.delete_file_system_policy = delete_file_system_policy  # type: ignore[attr-defined]
    EFSResponse.describe_backup_policy = describe_backup_policy  # type: ignore[method-assign]


def _patch_elasticache_members() -> None:
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


def _patch_route53_private_zones() -> None:
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


def _patch_ecs_task_pages_and_zones() -> None:
    """The ECS discovery sidecar pages through ListTasks (AWS answers at most 100 task ARNs
    per page, with a nextToken; moto answers all of them at once) and labels targets with
    the task's availability zone (AWS sets it from the subnet; moto leaves it out)."""
    from moto.core.responses import ActionResult
    from moto.ec2.models import ec2_backends
    from moto.ecs.models import Task
    from moto.ecs.responses import EC2ContainerServiceResponse

    list_tasks = EC2ContainerServiceResponse.list_tasks
    task_init = Task.__init__

    def list_tasks_in_pages(self: EC2ContainerServiceResponse) -> ActionResult:
        arns: list[str] = list_tasks(self).result["taskArns"]  # type: ignore[index]
        size = min(int(self._get_param("maxResults") or 100), 100)
        start = int(self._get_param("nextToken") or 0)
        page: dict[str, Any] = {"taskArns": arns[start : start + size]}
        if start + size < len(arns):
            page["nextToken"] = str(start + size)
        return ActionResult(page)

    def init_with_zone(self: Task, *args: Any, **kwargs: Any) -> None:
        task_init(self, *args, **kwargs)
        subnets = (getattr(self, "network_configuration", None) or {}).get("awsvpcConfiguration", {})
        if subnets.get("subnets"):
            ec2 = ec2_backends[self._account_id][self.region_name]
            self.availability_zone = ec2.get_subnet(subnets["subnets"][0]).availability_zone  # type: ignore[attr-defined]

    EC2ContainerServiceResponse.list_tasks = list_tasks_in_pages  # type: ignore[method-assign]
    Task.__init__ = init_with_zone  # type: ignore[method-assign]


def _patch_ecs_task_addresses() -> None:
    """Each awsvpc task gets an ENI with a private address of its own, which ECS reports twice:
    in the task's ElasticNetworkInterface attachment (`privateIPv4Address`) and in each
    container's `networkInterfaces` (API_Container, API_NetworkInterface). moto draws a random
    address and lists one container (the first definition's) without interfaces, so Traefik's
    ECS provider skips every container ("no network interfaces"). Here the address comes from
    the emulator's loopback network (KNOBS.task_network, see ops.emulator.task_network), where
    the local data plane runs the task, and every container definition is listed. An awsvpc
    port mapping's hostPort is answered as ECS does, equal to its containerPort."""

    from moto.ec2.models import ec2_backends
    from moto.ecs.models import Container, Task, TaskDefinition

    task_init = Task.__init__
    definition_init = TaskDefinition.__init__

    def init_with_host_ports(self: TaskDefinition, *args: Any, **kwargs: Any) -> None:
        # "For task definitions that use the awsvpc network mode, only specify the containerPort.
        # The hostPort can be left blank or it must be the same value as the containerPort"
        # (API_PortMapping); ECS answers it filled in, and Traefik's ECS provider reads it.
        definition_init(self, *args, **kwargs)
        if self.network_mode == "awsvpc":
            definitions: list[dict[str, Any]] = self.container_definitions
            for container in definitions:
                for mapping in container.get("portMappings") or []:
                    mapping.setdefault("hostPort", mapping.get("containerPort"))

    def next_address(backend: Any) -> str:
        network = KNOBS.task_network
        count = backend.__dict__.get("_task_addresses", 0)
        backend.__dict__["_task_addresses"] = count + 1
        return str(network.network_address + 1 + count % (network.num_addresses - 2))

    def init_with_addresses(
        self: Task, cluster: Any, task_definition: Any, *args: Any, **kwargs: Any
    ) -> None:
        task_init(self, cluster, task_definition, *args, **kwargs)
        containers = []
        for definition in task_definition.container_definitions:
            container = Container(task_definition)  # type: ignore[abstract]
            container.name, container.image = definition.get("name"), definition.get("image")
            container.environment, container.command = (
                definition.get("environment"),
                definition.get("command"),
            )
            container.last_status = "RUNNING"
            containers.append(container)
        self.containers = containers
        if not self.attachments:
            return
        attachment: dict[str, Any] = self.attachments[0]
        address = next_address(self._backend)
        details = {d["name"]: d for d in attachment["details"]}
        details["privateIPv4Address"]["value"] = address
        eni = ec2_backends[self._account_id][self.region_name].get_network_interface(
            details["networkInterfaceId"]["value"]
        )
        eni.private_ip_address = address
        for container in containers:
            container.network_interfaces = [{"attachmentId": attachment["id"], "privateIpv4Address": address}]

    Task.__init__ = init_with_addresses  # type: ignore[method-assign]
    TaskDefinition.__init__ = init_with_host_ports  # type: ignore[method-assign]


def _patch_service_linked_role_names() -> None:
    """`invoke bootstrap` looks up ECS's service-linked role by the name AWS gives it,
    AWSServiceRoleForECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html);
    moto derives AWSServiceRoleForecs from the service name."""
    from moto.iam import models

    models.SERVICE_NAME_CONVERSION.setdefault("ecs", "ECS")


def _patch_ecs_latest_active_revision() -> None:
    """The module's `data "aws_ecs_task_definition"` by family: "if a revision isn't specified,
    the latest ACTIVE revision is used" (API_DescribeTaskDefinition); moto answers the latest
    revision even when a failed deploy's rollback deregistered it, and the next plan would
    move the service onto the failed revision."""
    from moto.ecs.models import EC2ContainerServiceBackend, TaskDefinition

    describe = EC2ContainerServiceBackend.describe_task_definition

    def describe_latest_active(self: EC2ContainerServiceBackend, task_definition_str: str) -> TaskDefinition:
        name = task_definition_str.split("/")[-1]
        revisions = self.task_definitions.get(name) or {}
        active = [number for number, definition in revisions.items() if definition.status == "ACTIVE"]
        if ":" not in name and active:
            return describe(self, f"{name}:{max(active)}")
        return describe(self, task_definition_str)

    EC2ContainerServiceBackend.describe_task_definition = describe_latest_active  # type: ignore[method-assign]


PATCHES: list[Callable[[], None]] = [
    _patch_ecs_latest_active_revision,
    _patch_service_linked_role_names,
    _patch_route53_private_zones,
    _patch_application_autoscaling,
    _patch_ecs_service_fields,
    _patch_ecs_scheduler,
    _patch_ecs_task_pages_and_zones,
    _patch_ecs_task_addresses,
    _patch_security_group_reference_descriptions,
    _patch_efs_policies,
    _patch_elasticache_members,
]

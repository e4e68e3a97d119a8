"""Patches of ECS (services, their scheduler, tasks and revisions), each naming the provider call
or the AWS document it serves."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ops.emulator import KNOBS

# UpdateService fields moto drops from its answer.
ECS_SERVICE_FIELDS = (
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
)


def patch_ecs_service_fields() -> None:
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


def patch_ecs_scheduler() -> None:
    """invoke deploy (ecs-deploy) waits until the service's tasks of the new revision run,
    and moto starts no tasks for a service. Like the ECS scheduler, this starts
    desired_count tasks of the service's revision (group `service:<name>`) and stops the
    previous ones, and ListTasks filters by service. With KNOBS.failed_tasks above 0,
    a revision that never ran fails to start (a broken new image): its deployment is marked
    FAILED, as the circuit breaker would, and the old tasks stay. With a local agent attached,
    deployments roll as ECS's do instead, from the health the agent reports (scheduler.py)."""
    from moto.ecs.models import EC2ContainerServiceBackend, Service
    from moto.moto_api import state_manager

    from ops.emulator import scheduler

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


def patch_ecs_task_pages_and_zones() -> None:
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


def patch_ecs_task_addresses() -> None:
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


def patch_ecs_latest_active_revision() -> None:
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

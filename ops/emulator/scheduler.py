"""ECS's service scheduler when a local agent runs the tasks (`ops.dataplane`).

Without an agent the emulator starts a deployment's tasks and completes it at once (nothing
runs them, see patches._patch_ecs_scheduler). With one attached, deployments behave as ECS's
rolling update does with the circuit breaker on, from what the agent reports of each task:

- A new revision is a new PRIMARY deployment IN_PROGRESS next to the ACTIVE one, whose tasks
  keep serving; it COMPLETES when `desiredCount` of its tasks are RUNNING and healthy, and only
  then are the older tasks stopped (minimum healthy 100 %, maximum 200 %).
- A task that fails its health check, or whose essential container exits, is stopped and
  replaced. Tasks of an IN_PROGRESS deployment that fail count towards the circuit breaker's
  threshold, half the desired count rounded up, at least 3 and at most 200
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html);
  at the threshold the deployment is FAILED and the older tasks go on serving. Moving the
  service back to the revision of an ACTIVE deployment makes that deployment PRIMARY again.
- A changed desired count starts or stops tasks of the PRIMARY deployment.

The agent reports HEALTHY for a task once its containers with a health check pass it and the
others have started; UNHEALTHY or EXITED otherwise.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

HEALTH_FAILED = "Task failed container health checks"
EXITED = "Essential container in task exited"
REPLACED = "replaced by a new deployment"
SCALED_IN = "service scaled in"


def attached(backend: Any) -> bool:
    return bool(backend.__dict__.get("_local_agent"))


def attach(backend: Any, on: bool) -> None:
    backend.__dict__["_local_agent"] = on


def failure_threshold(desired: int) -> int:
    return min(max(math.ceil(desired * 0.5), 3), 200)


def _service_of(backend: Any, task: Any) -> Any | None:
    if not task.group.startswith("service:"):
        return None
    name = task.group.split(":", 1)[1]
    return backend.services.get(f"{task.cluster_name}:{name}")


def _tasks(backend: Any, service: Any, revision: str | None = None) -> list[Any]:
    group = f"service:{service.name}"
    return [
        task for task in backend.tasks.get(service.cluster_name, {}).values()
        if task.group == group and task.desired_status == "RUNNING"
        and (revision is None or task.task_definition_arn == revision)
    ]  # fmt: skip


def _stop(backend: Any, task: Any, reason: str) -> None:
    backend.stop_task(task.cluster_name, task.task_arn, reason)


def _start(backend: Any, service: Any, count: int) -> None:
    if count > 0:
        backend.run_task(
            service.cluster_name, service.task_definition, count, None, f"ecs-svc/{service.name}",
            None, "FARGATE", group=f"service:{service.name}",
            networking_configuration=service.network_configuration or None,
        )  # fmt: skip


def roll(backend: Any, service: Any) -> None:
    """Bring the service towards its task definition and desired count (create or update)."""
    revision = service.task_definition
    primary = service.deployments[0]
    now = datetime.now(UTC)
    if primary["taskDefinition"] != revision:
        earlier = next((d for d in service.deployments if d["taskDefinition"] == revision), None)
        for deployment in service.deployments:
            if deployment is not earlier and deployment.get("rolloutState") == "FAILED":
                for task in _tasks(backend, service, deployment["taskDefinition"]):
                    _stop(backend, task, REPLACED)
        service.deployments = [d for d in service.deployments if d.get("rolloutState") != "FAILED"]
        for deployment in service.deployments:
            deployment["status"] = "ACTIVE"
        if earlier is not None:  # back to a revision that still runs
            service.deployments.remove(earlier)
            new = earlier
        else:
            new = {
                **primary,
                "id": f"ecs-svc/{uuid.uuid4().int % 10**19}",
                "taskDefinition": revision,
                "rolloutState": "IN_PROGRESS",
                "failedTasks": 0,
                "runningCount": 0,
                "createdAt": now,
            }
        new.update(status="PRIMARY", desiredCount=service.desired_count, updatedAt=now)
        new["rolloutStateReason"] = f"ECS deployment {new['id']} in progress."
        new["rolloutState"] = "IN_PROGRESS"
        service.deployments.insert(0, new)
    _scale(backend, service)
    settle(backend, service)


def _scale(backend: Any, service: Any) -> None:
    primary = service.deployments[0]
    if primary.get("rolloutState") == "FAILED":
        return
    running = _tasks(backend, service, service.task_definition)
    _start(backend, service, service.desired_count - len(running))
    for task in running[service.desired_count :]:
        _stop(backend, task, SCALED_IN)
    primary["desiredCount"] = service.desired_count


def settle(backend: Any, service: Any) -> None:
    """Complete the PRIMARY deployment once its tasks are all healthy; stop the older ones."""
    primary = service.deployments[0]
    healthy = [
        task for task in _tasks(backend, service, service.task_definition)
        if getattr(task, "health_status", "UNKNOWN") == "HEALTHY"
    ]  # fmt: skip
    primary["runningCount"] = len(healthy)
    service.running_count = len(_tasks(backend, service))
    service.pending_count = max(service.desired_count - len(healthy), 0)
    if primary.get("rolloutState") != "IN_PROGRESS" or len(healthy) < service.desired_count:
        return
    for deployment in service.deployments[1:]:
        for task in _tasks(backend, service, deployment["taskDefinition"]):
            _stop(backend, task, REPLACED)
    service.deployments = [primary]
    primary.update(
        rolloutState="COMPLETED",
        rolloutStateReason=f"ECS deployment {primary['id']} completed.",
        updatedAt=datetime.now(UTC),
    )
    service.running_count = len(_tasks(backend, service))


def report(backend: Any, task_arn: str, status: str) -> None:
    """What the agent saw of a task: HEALTHY, UNHEALTHY or EXITED."""
    task = next(
        (t for tasks in backend.tasks.values() for t in tasks.values() if t.task_arn == task_arn), None
    )
    if task is None or task.desired_status != "RUNNING":
        return
    service = _service_of(backend, task)
    if status == "HEALTHY":
        task.health_status = "HEALTHY"
        if service is not None:
            settle(backend, service)
        return
    task.health_status = "UNHEALTHY"
    _stop(backend, task, HEALTH_FAILED if status == "UNHEALTHY" else EXITED)
    if service is None:
        return
    primary = service.deployments[0]
    if primary.get("rolloutState") == "IN_PROGRESS" and task.task_definition_arn == primary["taskDefinition"]:
        primary["failedTasks"] = primary.get("failedTasks", 0) + 1
        if primary["failedTasks"] >= failure_threshold(service.desired_count):
            primary.update(
                rolloutState="FAILED",
                rolloutStateReason=(
                    f"ECS deployment circuit breaker: {primary['failedTasks']} tasks failed "
                    f"({HEALTH_FAILED if status == 'UNHEALTHY' else EXITED})."
                ),
            )
            for other in _tasks(backend, service, primary["taskDefinition"]):
                _stop(backend, other, HEALTH_FAILED)
            return
    _scale(backend, service)
    settle(backend, service)

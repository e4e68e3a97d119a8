"""The local data plane: the ECS agent of the local platform (DESIGN decision 11).

It runs each RUNNING task of the emulator's clusters as local processes, derived from what
the emulator holds: the task definition's command, environment, secrets (read from Secrets
Manager and SSM), ports, labels and health checks. Each task listens on the loopback address
the emulator gave it (its ENI's `privateIPv4Address`), so Traefik's real ECS provider, pointed
at the emulator, discovers and routes to it. Health is reported to the emulator, whose
scheduler then rolls deployments, replaces failed tasks and trips the circuit breaker as ECS
does (ops.emulator.scheduler). Each ALB is served by a local HAProxy on a loopback port,
balancing over its target group's tasks and adding X-Forwarded-For as an ALB does.

It is the agent of one cluster (01-base's), as an ECS agent registers with one cluster.
What cannot be derived is the table below, and only that: which local executable runs an
image (local_image), and which local server answers for an endpoint (the AWS APIs: the
emulator; an ElastiCache replication group: local redis-servers, see LocalRedis; a Cloud Map
name: its service's tasks here; the alert receivers: ops.observability.receivers' recorder).

Modules: images (which executable runs an image), places (a task's addresses and paths
here), agent (the loop that runs the tasks), control (start, stop and status, for the
tasks), routes (what Traefik serves, and why not).
"""

from __future__ import annotations

from dataclasses import dataclass

from ops import REPO, OpsError

STATE_DIR = REPO / ".data" / "dataplane"


class DataPlaneError(OpsError):
    """The data plane cannot run here (a missing executable, a version that does not match)."""


@dataclass(frozen=True)
class Fronts:
    """The loopback ports where the ALBs are served (invoke's `local:` section)."""

    public: int = 8080
    internal: int = 8081

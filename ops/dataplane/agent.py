"""The agent: runs the cluster's tasks as local processes and reports their health."""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from ops import OpsError, emulator
from ops.aws import AwsContext
from ops.dataplane import STATE_DIR, DataPlaneError, Fronts
from ops.dataplane.images import LocalImage, local_image
from ops.dataplane.places import host_port, localize, relocate
from ops.delivery.containers import effective_environment, secret_resolver
from ops.observability import receivers
from ops.server import free_port
from ops.settings import EMULATOR_PORT
from ops.tools import require

# How long a task out of the local ALB keeps running before it is stopped: HAProxy's
# reload (a new worker with the new configuration) takes tens of milliseconds here.
DEREGISTRATION_GRACE = 1.0


class Unresolved(Exception):
    """A task names a Cloud Map name with no task behind it here yet: it starts once there is
    one (in a VPC its program would retry the DNS name meanwhile)."""


# --- The table: images to local executables ------------------------------------------------


@dataclass
class LocalRedis:
    """An ElastiCache replication group as local redis-servers: a primary and as many replicas
    as the group has (so that WAIT, which the store calls, is answered), with the AUTH token of
    the URL the service was given. Without TLS: the URL's `rediss` becomes `redis`."""

    group: str
    replicas: int
    password: str
    directory: Path
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self) -> None:
        executable = require("redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        for index in range(self.replicas + 1):
            port = free_port()
            argv = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                    "--appendonly", "no", "--dir", str(self.directory), "--dbfilename", f"{index}.rdb",
                    "--requirepass", self.password, "--masterauth", self.password]  # fmt: skip
            if index:
                argv += ["--replicaof", "127.0.0.1", str(self.ports[0])]
            log = (self.directory / f"redis-{index}.log").open("ab")
            self.processes.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))
            self.ports.append(port)
        wait_for_port("127.0.0.1", self.ports[0], 10)

    def url(self, original: str) -> str:
        parts = urlsplit(original)
        netloc = f"{parts.netloc.rsplit('@', 1)[0]}@127.0.0.1:{self.ports[0]}"
        return urlunsplit(("redis", netloc, parts.path, parts.query, parts.fragment))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(10)


def wait_for_port(host: str, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise DataPlaneError(f"nothing answered on {host}:{port} within {timeout:.0f} s")


# --- Tasks as processes ---------------------------------------------------------------------


@dataclass
class Container:
    name: str
    essential: bool
    process: subprocess.Popen[bytes]
    health: dict[str, Any] | None
    stop_timeout: float = 30
    healthy: bool | None = None
    failures: int = 0


@dataclass
class LocalTask:
    arn: str
    cluster: str
    group: str
    revision: str
    address: str
    containers: list[Container]
    started: float
    reported: str = ""

    @property
    def short_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1][:8]


class DataPlane:
    """Runs the emulator's tasks here and reports their health; `run()` loops until stopped."""

    def __init__(
        self, aws: AwsContext, emulator_url: str, cluster: str, fronts: Fronts, state_dir: Path = STATE_DIR
    ) -> None:
        self.aws = aws
        self.cluster = cluster
        self.emulator_url = emulator_url
        self.fronts = fronts
        self.state_dir = state_dir
        self.ecs = aws.client("ecs")
        self.resolve = secret_resolver(aws)
        self.tasks: dict[str, LocalTask] = {}
        self.not_run: dict[str, str] = {}
        self.redis: dict[str, LocalRedis] = {}
        self.haproxy: subprocess.Popen[bytes] | None = None
        self.haproxy_config = ""
        self.stopped = threading.Event()
        self.definitions: dict[str, dict[str, Any]] = {}
        self.target_groups: dict[str, tuple[str, str, str]] = {}
        self.stopping: list[tuple[subprocess.Popen[bytes], float]] = []
        self.waiting: dict[str, str] = {}
        self.cloud_map: dict[str, str] = {}
        self.recorder: receivers.Recorder | None = None

    # The control plane ----------------------------------------------------------------------

    def _agent(self, method: str) -> None:
        requests.request(method, f"{self.emulator_url}/_platform/ecs/agent",
                         params={"region": self.aws.region}, timeout=10).raise_for_status()  # fmt: skip

    def report(self, task: LocalTask, status: str) -> None:
        if task.reported == status:
            return
        requests.put(f"{self.emulator_url}/_platform/ecs/task-health",
                     params={"task": task.arn, "status": status, "region": self.aws.region},
                     timeout=10).raise_for_status()  # fmt: skip
        task.reported = status

    def running_tasks(self) -> list[dict[str, Any]]:
        found, cluster = [], self.cluster
        arns = [arn for page in self.ecs.get_paginator("list_tasks").paginate(
            cluster=cluster, desiredStatus="RUNNING") for arn in page["taskArns"]]  # fmt: skip
        for start in range(0, len(arns), 100):
            found += self.ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])["tasks"]
        return [task for task in found if task["lastStatus"] == "RUNNING"]

    def definition(self, arn: str) -> dict[str, Any]:
        if arn not in self.definitions:
            self.definitions[arn] = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return self.definitions[arn]

    # Starting a task ------------------------------------------------------------------------

    def _map_endpoints(self, value: str, names: dict[str, list[str]]) -> str:
        """A value naming an endpoint that a local server answers for gets that server: an
        ElastiCache group's (LocalRedis), a Cloud Map name's (the address of a task of its
        service), the local receivers'."""
        if self.recorder is not None:
            value = value.replace(receivers.URL, self.recorder.url)
        for name, addresses in names.items():
            pattern = rf"(?<![\w.-]){re.escape(name)}(?![\w-]|\.\w)"
            if re.search(pattern, value):
                if not addresses:
                    raise Unresolved(name)
                value = re.sub(pattern, addresses[0], value)
        if not value.startswith(("redis://", "rediss://")):
            return value
        host = urlsplit(value).hostname or ""
        groups = self.aws.client("elasticache").describe_replication_groups()["ReplicationGroups"]
        for group in groups:
            primary = group["NodeGroups"][0].get("PrimaryEndpoint", {}).get("Address")
            if primary != host:
                continue
            if group["ReplicationGroupId"] not in self.redis:
                local = LocalRedis(group["ReplicationGroupId"], len(group["MemberClusters"]) - 1,
                                   urlsplit(value).password or "",
                                   self.state_dir / "redis" / group["ReplicationGroupId"])  # fmt: skip
                local.start()
                self.redis[group["ReplicationGroupId"]] = local
            return self.redis[group["ReplicationGroupId"]].url(value)
        return value

    def names(self) -> dict[str, list[str]]:
        """Each Cloud Map name of the cluster's services (service.namespace, which the VPC's DNS
        answers with the addresses of the service's tasks): the addresses of those running here."""
        found: dict[str, list[str]] = {}
        arns = self.ecs.list_services(cluster=self.cluster)["serviceArns"]
        for start in range(0, len(arns), 10):
            for service in self.ecs.describe_services(
                cluster=self.cluster, services=arns[start : start + 10]
            )["services"]:
                group = f"service:{service['serviceName']}"
                for registry in service.get("serviceRegistries", []):
                    arn = registry["registryArn"]
                    if arn not in self.cloud_map:
                        discovery = self.aws.client("servicediscovery")
                        described = discovery.get_service(Id=arn.rsplit("/", 1)[-1])["Service"]
                        namespace_id = described.get("NamespaceId") or described["DnsConfig"]["NamespaceId"]
                        namespace = discovery.get_namespace(Id=namespace_id)["Namespace"]
                        self.cloud_map[arn] = f"{described['Name']}.{namespace['Name']}"
                    found[self.cloud_map[arn]] = [t.address for t in self.tasks.values() if t.group == group]
        return found

    def environment(self, task: dict[str, Any], container: dict[str, Any], image: LocalImage,
                    address: str, places: dict[str, str]) -> dict[str, str]:  # fmt: skip
        """The container's environment as ECS builds it, then what the agent adds: the region,
        the AWS endpoint (the emulator) and the task role's credentials, served as the ECS agent
        serves them (AWS_CONTAINER_CREDENTIALS_FULL_URI)."""
        environ = effective_environment(image.config, container, self.resolve)
        names = self.names() if any("." in value for value in environ.values()) else {}
        environ = {name: self._map_endpoints(relocate(localize(value, address), places), names)
                   for name, value in environ.items()}  # fmt: skip
        environ.update(dict.fromkeys(image.listen_env, address))
        environ["PATH"] = os.pathsep.join([*image.path, os.environ.get("PATH", "/usr/bin:/bin")])
        environ.update(AWS_REGION=self.aws.region, AWS_DEFAULT_REGION=self.aws.region,
                       AWS_ENDPOINT_URL=self.emulator_url)  # fmt: skip
        role = self.definition(task["taskDefinitionArn"]).get("taskRoleArn")
        if role:
            name = role.rsplit("/", 1)[-1]
            environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = (
                f"{self.emulator_url}/_platform/ecs/credentials/{name}?region={self.aws.region}"
            )
        return environ

    @staticmethod
    def argv(container: dict[str, Any], image: LocalImage, address: str,
             places: dict[str, str] | None = None) -> list[str]:  # fmt: skip
        """Docker's rule: the definition's entryPoint replaces the image's ENTRYPOINT and drops
        its CMD; its command replaces the CMD. The image's executables become the local ones."""
        entrypoint = container.get("entryPoint") or image.config.entrypoint or []
        command = container.get("command") or ([] if container.get("entryPoint") else image.config.cmd or [])
        argv: list[str] = []
        for part in [*entrypoint, *command]:
            if part in image.executables:
                local, *flags = image.executables[part]
                argv += [local, *(flag.format(address=address) for flag in flags)]
            else:
                argv.append(relocate(localize(part, address), places or {}))
        return argv

    def places(self, task_dir: Path, definition: dict[str, Any], container: dict[str, Any],
               image: LocalImage, address: str) -> dict[str, str]:  # fmt: skip
        """Where the container's paths are here: its own /tmp; its task's volumes (a bind volume
        is the task's own, as Fargate gives each task one; an EFS volume is one directory per
        file system and access point, kept across tasks); the image's executables."""
        scratch = task_dir / container["name"] / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        places = {"/tmp": str(scratch)}  # noqa: S108 (the container's /tmp, made its own here)
        volumes = {volume["name"]: volume for volume in definition.get("volumes", [])}
        for mount in container.get("mountPoints", []):
            efs = volumes.get(mount["sourceVolume"], {}).get("efsVolumeConfiguration")
            if efs:
                point = efs.get("authorizationConfig", {}).get("accessPointId")
                where = self.state_dir / "efs" / "-".join(filter(None, [efs["fileSystemId"], point]))
            else:
                where = task_dir / "volumes" / mount["sourceVolume"]
            where.mkdir(parents=True, exist_ok=True)
            places[mount["containerPath"]] = str(where)
        for path, (local, *flags) in image.executables.items():
            places[path] = shlex.join([local, *(flag.format(address=address) for flag in flags)])
        return places

    def start(self, task: dict[str, Any]) -> None:
        definition = self.definition(task["taskDefinitionArn"])
        address = next(d["value"] for a in task.get("attachments", []) for d in a["details"]
                       if d["name"] == "privateIPv4Address")  # fmt: skip
        if not ipaddress.IPv4Address(address).is_loopback:
            raise DataPlaneError(f"task {task['taskArn']} has address {address}, not a loopback one")
        mapped = {c["name"]: local_image(c["image"]) for c in definition["containerDefinitions"]}
        unmapped = [c["image"] for c in definition["containerDefinitions"] if mapped[c["name"]] is None]
        local = LocalTask(task["taskArn"], task["clusterArn"], task.get("group", ""),
                          task["taskDefinitionArn"], address, [], time.monotonic())  # fmt: skip
        if unmapped:  # ECS would run it on Fargate; nothing here can, so the emulator's account stands
            self.not_run[task["taskArn"]] = ", ".join(unmapped)
            self.report(local, "HEALTHY")
            return
        logs = self.state_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        family = definition["family"]
        task_dir = self.state_dir / "tasks" / local.short_id
        prepared = []
        for container in definition["containerDefinitions"]:
            image = mapped[container["name"]]
            if image is None:  # checked above: every container's image maps
                continue
            places = self.places(task_dir, definition, container, image, address)
            environ = self.environment(task, container, image, address, places)  # may be Unresolved
            prepared.append((container, image, places, environ))
        for container, image, places, environ in prepared:
            log = (logs / f"{family}-{local.short_id}-{container['name']}.log").open("ab")
            # The definition's workingDirectory, in the container's own places (else the state's).
            cwd = relocate(container.get("workingDirectory") or str(self.state_dir), places)
            cwd = cwd if Path(cwd).is_dir() else str(self.state_dir)
            process = subprocess.Popen(
                self.argv(container, image, address, places),
                env=environ,
                cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            health = container.get("healthCheck")
            if health:
                command = [relocate(localize(part, address), places) for part in health["command"]]
                health = {**health, "command": command, "env": environ}
            essential, stop_timeout = container.get("essential", True), container.get("stopTimeout", 30)
            local.containers.append(Container(container["name"], essential, process, health, stop_timeout))
        self.tasks[task["taskArn"]] = local
        self.waiting.pop(task["taskArn"], None)

    # Watching tasks ------------------------------------------------------------------------

    def check(self, task: LocalTask, container: Container, now: float) -> None:
        """Docker's health check: after the start period, `retries` failures in a row make the
        container unhealthy; one success makes it healthy. During the start period it checks
        every second (Docker's start interval), then every `interval`."""
        health = container.health
        if health is None:
            container.healthy = container.process.poll() is None
            return
        starting = now - task.started < health.get("startPeriod", 0)
        due = health.setdefault("due", now + 1)
        if now < due:
            return
        kind, *argv = health["command"]
        if kind == "CMD-SHELL":
            argv = ["/bin/sh", "-c", argv[0]]
        try:
            ok = subprocess.run(argv, env=health["env"], capture_output=True,
                                timeout=health.get("timeout", 5), check=False).returncode == 0  # fmt: skip
        except subprocess.TimeoutExpired:
            ok = False
        health["due"] = time.monotonic() + (1 if starting and not ok else health.get("interval", 30))
        if ok:
            container.healthy, container.failures = True, 0
        elif not starting:
            container.failures += 1
            if container.failures >= health.get("retries", 3):
                container.healthy = False

    def watch(self, task: LocalTask) -> None:
        now = time.monotonic()
        for container in task.containers:
            if container.essential and container.process.poll() is not None:
                self.report(task, "EXITED")
                return
            self.check(task, container, now)
        if any(c.healthy is False for c in task.containers if c.essential):
            self.report(task, "UNHEALTHY")
        elif all(c.healthy for c in task.containers if c.essential):
            self.report(task, "HEALTHY")

    def stop(self, task: LocalTask) -> None:
        """SIGTERM to each container's main process, SIGKILL to all of it after its stopTimeout
        (ECS's default: 30 s); the loop goes on meanwhile, as old tasks drain while new ones
        serve."""
        for container in task.containers:
            if container.process.poll() is None:  # docker stop: the container's main process
                container.process.send_signal(signal.SIGTERM)
            self.stopping.append((container.process, time.monotonic() + container.stop_timeout))

    def reap(self, force: bool = False) -> None:
        """A container whose main process has exited is gone with everything it started (its
        process group, as Docker removes the container); one past its stop timeout is killed."""
        still = []
        for process, deadline in self.stopping:
            if process.poll() is None and not force and time.monotonic() < deadline:
                still.append((process, deadline))
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.stopping = still

    # The ALBs --------------------------------------------------------------------------------

    def target_group(self, arn: str) -> tuple[str, str, str]:
        """(ALB scheme, health-check path, health-check port) of a target group; AWS's default
        scheme, internet-facing, is the one the emulator leaves out."""
        if arn not in self.target_groups:
            elbv2 = self.aws.client("elbv2")
            group = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
            balancer = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"][:1])[
                "LoadBalancers"
            ][0]
            self.target_groups[arn] = (
                "internal" if balancer.get("Scheme") == "internal" else "public",
                group.get("HealthCheckPath") or "/",
                group.get("HealthCheckPort") or "traffic-port",
            )
        return self.target_groups[arn]

    def albs(self, running: list[dict[str, Any]]) -> dict[str, list[tuple[str, int, str, int]]]:
        """Per ALB (public, internal): (address, port, health path, health port) of each task in
        its target groups, as ECS registers the tasks of a service with load balancers."""
        members: dict[str, list[tuple[str, int, str, int]]] = {"public": [], "internal": []}
        for cluster in {task["clusterArn"] for task in running}:
            arns = self.ecs.list_services(cluster=cluster)["serviceArns"]
            services = self.ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []
            for service in services:
                group = f"service:{service['serviceName']}"
                tasks = [self.tasks[t["taskArn"]] for t in running
                         if t.get("group") == group and t["taskArn"] in self.tasks]  # fmt: skip
                for balancer in service.get("loadBalancers", []):
                    kind, path, check = self.target_group(balancer["targetGroupArn"])
                    port = int(balancer["containerPort"])
                    check_port = port if check == "traffic-port" else int(check)
                    members[kind] += [
                        (t.address, host_port(port), path, host_port(check_port)) for t in tasks
                    ]
        return members

    def serve_albs(self, running: list[dict[str, Any]]) -> bool:
        """HAProxy serving each ALB's members; True when its configuration changed."""
        members = self.albs(running)
        lines = ["global", "  maxconn 4096", "defaults", "  mode http", "  option forwardfor",
                 "  timeout connect 5s", "  timeout client 60s", "  timeout server 60s",
                 "  timeout http-request 15s"]  # fmt: skip
        for kind, port in (("public", self.fronts.public), ("internal", self.fronts.internal)):
            lines += [f"frontend {kind}", f"  bind 127.0.0.1:{port}", f"  default_backend {kind}",
                      f"backend {kind}", "  balance roundrobin"]  # fmt: skip
            for index, (address, target, health_path, check) in enumerate(sorted(set(members[kind]))):
                lines += [f"  option httpchk GET {health_path}"] if index == 0 else []
                lines.append(f"  server task{index} {address}:{target} check port {check} inter 2s")
        config = "\n".join(lines) + "\n"
        if config == self.haproxy_config and self.haproxy and self.haproxy.poll() is None:
            return False
        path = self.state_dir / "haproxy.cfg"
        path.write_text(config)
        self.haproxy_config = config
        if self.haproxy is None or self.haproxy.poll() is not None:
            executable = require("haproxy")
            log = (self.state_dir / "logs" / "haproxy.log").open("ab")
            self.haproxy = subprocess.Popen([executable, "-W", "-db", "-f", str(path)], stdout=log,
                                            stderr=subprocess.STDOUT)  # fmt: skip
        else:
            self.haproxy.send_signal(signal.SIGUSR2)  # master-worker: reload the configuration
        return True

    # The loop --------------------------------------------------------------------------------

    def reconcile(self) -> None:
        running = self.running_tasks()
        arns = {task["taskArn"] for task in running}
        leaving = [self.tasks.pop(arn) for arn in [arn for arn in self.tasks if arn not in arns]]
        # ECS takes a task out of its target groups before it stops it (the DEACTIVATING step,
        # https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html):
        # the local ALB's reload must take over before the task hears SIGTERM, or a request the
        # old configuration sends there is refused and answered 503.
        if leaving and self.serve_albs(running):
            time.sleep(DEREGISTRATION_GRACE)
        for gone in leaving:
            self.stop(gone)
        self.reap()
        for arn in [arn for arn in self.not_run if arn not in arns]:
            del self.not_run[arn]
        for arn in [arn for arn in self.waiting if arn not in arns]:
            del self.waiting[arn]
        for task in running:
            if task["taskArn"] not in self.tasks and task["taskArn"] not in self.not_run:
                try:
                    self.start(task)
                except Unresolved as name:
                    self.waiting[task["taskArn"]] = f"{name} has no task here yet"
                except (OSError, OpsError) as exc:  # as a container that cannot start: ECS replaces it
                    print(f"data plane: {task['taskArn']} did not start: {exc}", file=sys.stderr, flush=True)
                    self.report(LocalTask(task["taskArn"], "", "", "", "", [], 0), "EXITED")
        for local in self.tasks.values():
            self.watch(local)
        self.serve_albs(running)
        self.write_status()

    def write_status(self) -> None:
        status = {
            "cluster": self.cluster,
            "fronts": asdict(self.fronts),
            "tasks": [
                {"task": t.arn, "group": t.group, "revision": t.revision, "address": t.address,
                 "health": t.reported or "STARTING", "pids": [c.process.pid for c in t.containers]}
                for t in self.tasks.values()
            ],
            "not_run": self.not_run,
            "waiting": self.waiting,
            "receivers": self.recorder.url if self.recorder else None,
            "redis": {group: local.ports for group, local in self.redis.items()},
        }  # fmt: skip
        temporary = self.state_dir / "status.json.tmp"
        temporary.write_text(json.dumps(status, indent=1))
        temporary.replace(self.state_dir / "status.json")

    def run(self, interval: float = 1.0) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        (self.state_dir / "logs").mkdir(exist_ok=True)
        self.recorder = receivers.Recorder(("127.0.0.1", 0), self.state_dir / "receivers.jsonl").start()
        self._agent("PUT")
        try:
            while not self.stopped.is_set():
                try:
                    self.reconcile()
                except (requests.RequestException, OSError) as exc:
                    print(f"data plane: {exc}", file=sys.stderr, flush=True)
                self.stopped.wait(interval)
        finally:
            self.shutdown()

    def shutdown(self) -> None:
        for task in self.tasks.values():
            self.stop(task)
        self.tasks.clear()
        # Everything goes: no ALB sends them requests any more, so no drain to wait out.
        deadline = time.monotonic() + 3
        while self.stopping and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.1)
        self.reap(force=True)
        if self.haproxy is not None and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
        for local in self.redis.values():
            local.stop()
        if self.recorder is not None:
            self.recorder.shutdown()
        with contextlib.suppress(requests.RequestException):  # the emulator went first
            self._agent("DELETE")


# --- Background process, as the emulator's -------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emulator-port", type=int, default=EMULATOR_PORT)
    parser.add_argument("--cluster", required=True, help="the ECS cluster whose tasks run here")
    parser.add_argument("--public-port", type=int, default=Fronts.public)
    parser.add_argument("--internal-port", type=int, default=Fronts.internal)
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    args = parser.parse_args()
    aws = AwsContext.from_environ(emulator.client_env(args.emulator_port))
    fronts = Fronts(args.public_port, args.internal_port)
    plane = DataPlane(aws, emulator.endpoint(args.emulator_port), args.cluster, fronts, args.state_dir)
    signal.signal(signal.SIGTERM, lambda *_: plane.stopped.set())
    signal.signal(signal.SIGINT, lambda *_: plane.stopped.set())
    plane.run()


if __name__ == "__main__":
    main()

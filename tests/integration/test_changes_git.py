"""Changed files come from git: those since the merge base, in a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ops.delivery.changes import GitError, changed_files


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def test_changed_files_are_those_since_the_merge_base(tmp_path: Path) -> None:
    git("init", "-q", "-b", "main", cwd=tmp_path)
    git("config", "user.email", "ci@example.com", cwd=tmp_path)
    git("config", "user.name", "ci", cwd=tmp_path)
    (tmp_path / "a.tf").write_text("a\n")
    git("add", ".", cwd=tmp_path)
    git("commit", "-qm", "base", cwd=tmp_path)
    git("checkout", "-qb", "feature", cwd=tmp_path)
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "b.tf").write_text("b\n")
    git("add", ".", cwd=tmp_path)
    git("commit", "-qm", "feature", cwd=tmp_path)
    assert changed_files("main", cwd=tmp_path) == ["infra/b.tf"]
    with pytest.raises(GitError, match=r"git diff nope\.\.\.HEAD failed: .*fetch-depth: 0"):
        changed_files("nope", cwd=tmp_path)

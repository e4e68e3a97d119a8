"""actionlint (its WASM build, run by Node) over the workflows: none has a finding, and a broken
one is reported."""

from __future__ import annotations

from pathlib import Path

from ops.delivery.workflows import actionlint, workflow_files


def test_actionlint_finds_nothing() -> None:
    findings = actionlint(workflow_files())
    assert findings == [], "\n".join(map(str, findings))


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.no_such_field }}\n"
    )
    (finding,) = actionlint([broken])
    assert (finding.line, finding.kind) == (6, "expression")
    assert 'property "no_such_field" is not defined' in finding.message

"""The model's command line: python -m ops.perf.ratelimit prints its prediction as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

from ops import REPO


def test_predict_prints_json_with_expected_accepted() -> None:
    argv = [sys.executable, "-m", "invoke", "perf.ratelimit-check", "--predict", "--average", "10",
            "--period", "5s", "--burst", "20", "--requests", "100", "--duration", "0.8"]  # fmt: skip
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["expected_accepted"] == 22
    assert answer["expected_rejected"] == 78
    assert answer["max_delay_seconds"] == 0.25
    two = subprocess.run([*argv, "--instances", "2"], cwd=REPO, capture_output=True, text=True, check=False)
    assert json.loads(two.stdout)["expected_accepted"] == 44
